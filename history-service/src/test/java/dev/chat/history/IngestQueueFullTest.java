package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A message a full ingest queue drops is a gap from that moment and is read back from the recent log at the next
 * sweep, even in a room whose traffic never pauses (before, the gap waited until the room went quiet).
 */
@QuarkusTest
@TestProfile(IngestQueueFullTest.TinyQueue.class)
class IngestQueueFullTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A queue of 30 messages: a burst of 120 that arrives in one read overflows it, however fast PostgreSQL is. */
    public static class TinyQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.ingest.max-pending", "30");
        }
    }

    @Inject
    RedisDataSource redis;

    @Test
    void droppedMessagesAreBackfilledWhileTheRoomKeepsTalking() throws Exception {
        await().atMost(WAIT).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("never-quiet");
        double droppedBefore = IngestTest.metric("chat_history_ingest_dropped_total");
        AtomicLong seq = new AtomicLong();
        ScheduledExecutorService talker = Executors.newSingleThreadScheduledExecutor();
        try {
            // Bursts of 120 every 100 ms, for as long as the test runs: the room is never quiet.
            talker.scheduleAtFixedRate(() -> {
                long first = seq.get() + 1;
                gateway.publishBurst(room, first, first + 119, "alice");
                seq.set(first + 119);
            }, 0, 100, TimeUnit.MILLISECONDS);
            await().atMost(WAIT).until(() -> seq.get() >= 400);
            assertTrue(IngestTest.metric("chat_history_ingest_dropped_total") > droppedBefore, "the queue never overflowed");

            // While the bursts go on, the first 400 are all stored, in order, with no hole.
            await().atMost(WAIT).untilAsserted(() -> assertEquals(LongStream.rangeClosed(1, 400).boxed().toList(),
                    given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room).queryParam("after", 0)
                            .queryParam("limit", 400).get("/rooms/{room}/messages").then().statusCode(200).extract()
                            .jsonPath().getList("messages.seq", Long.class)));
            assertTrue(seq.get() > 400);
        } finally {
            talker.shutdownNow();
            talker.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
