package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.history.unread.ActivityEntry;
import dev.chat.history.unread.ActivityEntry.Kind;
import dev.chat.history.unread.ActivityWriter;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-user rooms bound is checked at most once per trim interval: batches in between pay nothing for it. */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class RoomsPerUserTrimIntervalTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    public static class HourlyTrim implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.activity.rooms-per-user", "10", "chat.activity.trim-interval", "1H");
        }
    }

    @Inject
    ActivityWriter writer;

    @Inject
    Pool pool;

    @Test
    void withinTheIntervalAfterATrimAUserPastTheBoundKeepsEveryRoom() {
        // The first trim is due at once: this batch takes it, unless the service stored activity of its own before it.
        joinRooms(Gateway.uniqueUser("interval"), 12);
        String user = Gateway.uniqueUser("interval");

        joinRooms(user, 12);

        long rooms = pool.preparedQuery("select count(*) from room_members where user_id = $1").execute(Tuple.of(user))
                .await().atMost(WAIT).iterator().next().getLong(0);
        assertEquals(12, rooms, "not trimmed until the interval has passed");
    }

    private void joinRooms(String user, int count) {
        String prefix = Gateway.uniqueRoom("interval");
        List<ActivityEntry> batch = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            batch.add(new ActivityEntry(Kind.JOIN, user, prefix + "-" + i, 0, i));
        }
        writer.write(batch).await().atMost(WAIT);
    }
}
