package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.history.unread.ActivityEntry;
import dev.chat.history.unread.ActivityEntry.Kind;
import dev.chat.history.unread.ActivityWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A user who joins, posts in or marks ever new room names within the gateway's rate limits does not grow PostgreSQL
 * without end: each user keeps the rooms they were last active in (joined, read, or the room's last message), up to a
 * bound (here 10, pruned past 11).
 */
@QuarkusTest
@TestProfile(SmallBounds.class)
class RoomsPerUserBoundTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    ActivityWriter writer;

    @Inject
    Pool pool;

    @Inject
    RedisDataSource redis;

    @Test
    void aUserKeepsTheRoomsTheyWereLastActiveInUpToTheBound() {
        String user = Gateway.uniqueUser("bound");
        String other = Gateway.uniqueUser("bound");
        String prefix = Gateway.uniqueRoom("bound");
        for (int i = 1; i <= 30; i++) {
            String room = prefix + "-" + i;
            write(List.of(new ActivityEntry(Kind.JOIN, user, room, 0, i), new ActivityEntry(Kind.READ, user, room, 1, i),
                    new ActivityEntry(Kind.JOIN, other, prefix + "-" + (i % 3), 0, i)));
        }

        List<String> kept = rooms("room_members", "joined_at", user);
        assertEquals(kept, rooms("read_markers", "updated_at", user), "the same rooms of both tables");
        // Trimmed to 10 once past 11: never more than 11 after a write, always the latest.
        List<String> latest = new ArrayList<>();
        for (int i = 30; i > 30 - kept.size(); i--) {
            latest.add(prefix + "-" + i);
        }
        assertEquals(latest, kept);
        assertTrue(kept.size() >= 10 && kept.size() <= 11, () -> kept.size() + " rooms kept");
        assertEquals(3, rooms("room_members", "joined_at", other).size(), "a user within the bound keeps every room");
    }

    @Test
    void aRoomJoinedLongAgoButReadLastIsKept() {
        String user = Gateway.uniqueUser("bound");
        String prefix = Gateway.uniqueRoom("bound");
        List<ActivityEntry> first = new ArrayList<>();
        for (int i = 1; i <= 11; i++) {
            first.add(new ActivityEntry(Kind.JOIN, user, prefix + "-" + i, 0, 100 + i));
            first.add(new ActivityEntry(Kind.READ, user, prefix + "-" + i, 1, 100 + i));
        }
        write(first);
        // The room joined first is read again (its join stays the first one), and one more room is joined: 12 rooms, one
        // past the tenth of slack. The user was active in the oldest room last, so the trim keeps it, in both tables, and
        // the rooms they were active in longest ago go.
        String oldest = prefix + "-1";
        write(List.of(new ActivityEntry(Kind.JOIN, user, oldest, 0, 1_000), new ActivityEntry(Kind.READ, user, oldest, 5, 1_000),
                new ActivityEntry(Kind.JOIN, user, prefix + "-new", 0, 1_000)));

        List<String> members = rooms("room_members", "joined_at", user);
        List<String> markers = rooms("read_markers", "updated_at", user);
        assertEquals(10, members.size(), () -> "the 10 last active in: " + members);
        assertTrue(members.contains(oldest) && members.contains(prefix + "-new"), () -> "kept: " + members);
        assertFalse(members.contains(prefix + "-2") || members.contains(prefix + "-3"), () -> "active longest ago: " + members);
        assertEquals(List.of(101L), ActivityRows.joinedAt(pool, user, oldest), "its first join stays");
        assertEquals(oldest, markers.get(0), () -> "read last: " + markers);
        assertEquals(10, markers.size(), () -> "the 10 read last: " + markers);
        assertFalse(markers.contains(prefix + "-2"), () -> "read longest ago: " + markers);
    }

    @Test
    void aUserWhoPostsInEverNewRoomsKeepsTheRoomsLastActiveInUpToTheBound() {
        await().atMost(WAIT).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
        Gateway gateway = new Gateway(redis);
        String poster = Gateway.uniqueUser("poster");
        String prefix = Gateway.uniqueRoom("posted");
        // Room i's last message is seq i, at Gateway.ts(i): the later the room, the more recently active.
        for (int i = 1; i <= 16; i++) {
            gateway.publishBurst(prefix + "-" + i, 1, i, poster);
        }
        String last = prefix + "-16";
        await().atMost(WAIT).until(() -> pool.preparedQuery("select 1 from rooms where room = $1 and stored_seq = 16")
                .execute(Tuple.of(last)).await().atMost(WAIT).iterator().hasNext());

        // Every batch adds rooms to the poster's list and is followed by a trim: once past 11, the 10 most recently active stay.
        await().atMost(WAIT).untilAsserted(() -> {
            List<String> kept = new ArrayList<>();
            for (Row row : pool.preparedQuery("select m.room from room_members m join rooms r on r.room = m.room"
                    + " where m.user_id = $1 order by r.last_ts desc").execute(Tuple.of(poster)).await().atMost(WAIT)) {
                kept.add(row.getString(0));
            }
            List<String> latest = new ArrayList<>();
            for (int i = 16; i > 16 - kept.size(); i--) {
                latest.add(prefix + "-" + i);
            }
            assertTrue(kept.size() >= 10 && kept.size() <= 11, () -> kept.size() + " rooms kept: " + kept);
            assertEquals(latest, kept);
        });
    }

    private void write(List<ActivityEntry> batch) {
        writer.write(batch).await().atMost(WAIT);
    }

    /** The user's rooms in {@code table}, most recent first. */
    private List<String> rooms(String table, String recency, String user) {
        List<String> rooms = new ArrayList<>();
        for (Row row : pool.preparedQuery("select room from " + table + " where user_id = $1 order by " + recency + " desc, room desc")
                .execute(Tuple.of(user)).await().atMost(WAIT)) {
            rooms.add(row.getString(0));
        }
        return rooms;
    }
}
