package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Upgrading a database whose messages were stored before ingest recorded posted rooms as memberships: the migration
 * lists every room each user posted in (at their first message there) and every direct-message room for both
 * participants, and keeps the memberships already there (run on a scratch schema with the real tables' shape). The
 * release after it drops the indexes the walk used.
 */
@QuarkusTest
class PostedRoomsMigrationTest {

    private static final String MIGRATION = "/db/migration/V5__posted_rooms_are_memberships.sql";

    @Inject
    Pool pool;

    @Test
    void theRoomsPostedInAndTheDirectMessagesReceivedBeforeTheUpgradeBecomeMemberships() throws IOException {
        String script;
        try (InputStream in = getClass().getResourceAsStream(MIGRATION)) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String schema = "upgrade_" + UUID.randomUUID().toString().replace("-", "");
        List<String> rows = new ArrayList<>();
        pool.withConnection(connection -> connection.query("create schema " + schema + "; set search_path to " + schema + ";"
                + "create table messages (like public.messages including all);"
                + "create table room_members (like public.room_members including all);"
                + "insert into messages (room, seq, sender, text, ts) values"
                + " ('general', 1, 'alice', 'hi', 10), ('general', 2, 'alice', 'again', 20), ('general', 3, 'carol', 'hey', 25),"
                + " ('dm:alice:bob', 1, 'bob', 'psst', 30), ('dm:alice:bob', 2, 'bob', 'still there?', 40);"
                // Carol joined before she posted: her join time stays.
                + "insert into room_members (user_id, room, joined_at) values ('carol', 'general', 5);").execute()
                .chain(() -> connection.query(script).execute())
                .chain(() -> connection.query("select user_id || ' ' || room || ' ' || joined_at from room_members order by 1").execute())
                .invoke(result -> result.forEach((Row row) -> rows.add(row.getString(0))))
                .eventually(() -> connection.query("set search_path to default; drop schema " + schema + " cascade").execute()))
                .await().atMost(Duration.ofSeconds(30));

        assertEquals(List.of("alice dm:alice:bob 30", "alice general 10", "bob dm:alice:bob 30", "carol general 5"), rows);
    }

    /** Once no replica walks messages for a user's rooms, ingest no longer maintains the walk's three indexes. */
    @Test
    void theIndexesOfTheWalkAreGoneAndMessagesKeepOnlyWhatReplayAndRetentionRead() {
        List<String> indexes = new ArrayList<>();
        pool.query("select indexname from pg_indexes where schemaname = 'public' and tablename = 'messages' order by 1").execute()
                .invoke(result -> result.forEach((Row row) -> indexes.add(row.getString(0))))
                .await().atMost(Duration.ofSeconds(30));

        assertEquals(List.of("messages_pkey", "messages_ts"), indexes);
    }
}
