package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.history.unread.ActivityEntry;
import dev.chat.history.unread.ActivityEntry.Kind;
import dev.chat.history.unread.ActivityWriter;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a batch of the activity stream lands in PostgreSQL: idempotent, order-free, one row per user and room. */
@QuarkusTest
class ActivityWriterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    ActivityWriter writer;

    @Inject
    Pool pool;

    @Test
    void joinsAndReadPositionsAreStoredAndWritingThemAgainChangesNothing() {
        String user = Gateway.uniqueUser("writer");
        String room = Gateway.uniqueRoom("writer");
        List<ActivityEntry> batch = List.of(new ActivityEntry(Kind.JOIN, user, room, 0, 100), new ActivityEntry(Kind.READ, user, room, 7, 200));

        write(batch);
        write(batch);

        assertStored(user, room, 100, "7@200");
    }

    @Test
    void aUserAndRoomThatAppearSeveralTimesInOneBatchKeepTheFirstJoinAndTheHighestRead() {
        String user = Gateway.uniqueUser("writer");
        String room = Gateway.uniqueRoom("writer");

        write(List.of(new ActivityEntry(Kind.JOIN, user, room, 0, 300), new ActivityEntry(Kind.READ, user, room, 4, 310),
                new ActivityEntry(Kind.JOIN, user, room, 0, 250), new ActivityEntry(Kind.READ, user, room, 9, 305),
                new ActivityEntry(Kind.READ, user, room, 2, 320), new ActivityEntry(Kind.JOIN, user, room, 0, 280)));

        assertStored(user, room, 250, "9@320");
    }

    @Test
    void entriesArrivingLateNeitherMoveAJoinNorLowerAReadPosition() {
        String user = Gateway.uniqueUser("writer");
        String room = Gateway.uniqueRoom("writer");
        write(List.of(new ActivityEntry(Kind.JOIN, user, room, 0, 500), new ActivityEntry(Kind.READ, user, room, 12, 600)));

        write(List.of(new ActivityEntry(Kind.JOIN, user, room, 0, 400), new ActivityEntry(Kind.READ, user, room, 3, 550)));

        assertStored(user, room, 500, "12@600");
    }

    @Test
    void batchesOfEverySizeAreStoredWhole() {
        String room = Gateway.uniqueRoom("writer");
        List<String> users = new ArrayList<>();
        for (int size = 1; size <= 40; size += 13) {
            List<ActivityEntry> batch = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                String user = Gateway.uniqueUser("writer");
                users.add(user);
                batch.add(new ActivityEntry(Kind.JOIN, user, room, 0, i));
                batch.add(new ActivityEntry(Kind.READ, user, room, i, i));
            }
            write(batch);
        }

        long members = pool.preparedQuery("select count(*) from room_members where room = $1").execute(Tuple.of(room))
                .await().atMost(WAIT).iterator().next().getLong(0);
        long markers = pool.preparedQuery("select count(*) from read_markers where room = $1").execute(Tuple.of(room))
                .await().atMost(WAIT).iterator().next().getLong(0);
        assertEquals(users.size(), members);
        assertEquals(users.size(), markers);
    }

    private void write(List<ActivityEntry> batch) {
        writer.write(batch).await().atMost(WAIT);
    }

    /** The one membership row and the one read position ({@code seq@updatedAt}) stored for the user and room. */
    private void assertStored(String user, String room, long joinedAt, String readMarker) {
        assertEquals(List.of(joinedAt), ActivityRows.joinedAt(pool, user, room));
        assertEquals(List.of(readMarker), readMarker(user, room));
    }

    private List<String> readMarker(String user, String room) {
        List<String> rows = new ArrayList<>();
        for (Row row : pool.preparedQuery("select seq, updated_at from read_markers where user_id = $1 and room = $2")
                .execute(Tuple.of(user, room)).await().atMost(WAIT)) {
            rows.add(row.getLong(0) + "@" + row.getLong(1));
        }
        return rows;
    }
}
