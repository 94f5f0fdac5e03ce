package dev.chat.history;

import dev.chat.common.redis.LuaScript;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nothing acknowledged goes missing silently: a second message for a stored (room, seq) is detected, counted and kept
 * in the dead-letter stream; a message PostgreSQL refuses for good is dead-lettered with the reason; a loss found by
 * several replicas is counted once.
 */
@QuarkusTest
class IngestIntegrityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DEAD_LETTERS = "chat:history:dead-letter";

    private static final LuaScript COUNT_LOST = LuaScript.fromResource("scripts/count-lost.lua");

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Inject
    MessageWriter writer;

    Gateway gateway;

    @BeforeEach
    void setUp() {
        gateway = new Gateway(redis);
        await().atMost(WAIT).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
    }

    @Test
    void aDifferentMessageForAStoredSeqIsDetectedCountedAndDeadLettered() {
        String room = Gateway.uniqueRoom("conflict");
        ChatMessage original = new ChatMessage(room, 1, "alice", "the original", Gateway.ts(1), null);
        writer.write(new MessageBatch(List.of(original), List.of(false), Map.of(room, 1L))).await().atMost(WAIT);
        double conflictsBefore = IngestTest.metric("chat_history_ingest_conflicts_total");

        // Redis went back in time and handed seq 1 out again, to another message.
        gateway.publishRaw(room, Gateway.payload(room, 1, "mallory", "a second message with the same seq", Gateway.ts(1), null));
        // The same message again is a plain duplicate, not a conflict.
        gateway.publish(room, 2, "alice", "two");
        gateway.publishRaw(room, Gateway.payload(room, 2, "alice", "two", Gateway.ts(2), null));

        await().atMost(WAIT).untilAsserted(() -> assertEquals(conflictsBefore + 1, IngestTest.metric("chat_history_ingest_conflicts_total")));
        StreamMessage<String, String, String> letter = deadLetter(room, 1);
        assertEquals("mallory", letter.payload().get("from"));
        assertEquals("a second message with the same seq", letter.payload().get("text"));
        assertTrue(letter.payload().get("reason").startsWith("conflict"), letter.payload().get("reason"));
        // The stored message stays.
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(1, 2)))
                .body("messages[0].text", equalTo("the original")));
    }

    @Test
    void everyMessageOfABurstOfConflictsReachesTheDeadLetterStream() {
        String room = Gateway.uniqueRoom("conflicts");
        int count = 200;
        List<ChatMessage> originals = new java.util.ArrayList<>();
        for (int seq = 1; seq <= count; seq++) {
            originals.add(new ChatMessage(room, seq, "alice", "original " + seq, Gateway.ts(seq), null));
        }
        writer.write(new MessageBatch(originals, java.util.Collections.nCopies(count, false), Map.of(room, (long) count)))
                .await().atMost(WAIT);

        // Redis handed a whole stretch of seqs out again: ingest's batches hold far more conflicts than the Redis pool has
        // connections and waiting slots (6 and 24).
        for (int seq = 1; seq <= count; seq++) {
            gateway.publishRaw(room, Gateway.payload(room, seq, "mallory", "again " + seq, Gateway.ts(seq), null));
        }

        await().atMost(WAIT).untilAsserted(() -> assertEquals(count, redis.stream(String.class)
                .xrange(DEAD_LETTERS, StreamRange.of("-", "+")).stream().filter(m -> room.equals(m.payload().get("room"))).count()));
    }

    @Test
    void aMessagePostgresRefusesForGoodGoesToTheDeadLetterStreamWithTheReason() {
        String room = Gateway.uniqueRoom("refused");
        double rejectedBefore = IngestTest.metric("chat_history_ingest_rejected_total");
        gateway.publish(room, 1, "alice", "one");
        // Longer than the schema's bound on a text (a frame is at most 64 KiB).
        gateway.publish(room, 2, "alice", "x".repeat(70_000));
        gateway.publish(room, 3, "alice", "three");

        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(1, 3))).body("storedThrough", equalTo(3)));
        StreamMessage<String, String, String> letter = deadLetter(room, 2);
        assertTrue(letter.payload().get("reason").contains("messages_text_bounded"), letter.payload().get("reason"));
        assertEquals(70_000, letter.payload().get("text").length());
        assertTrue(IngestTest.metric("chat_history_ingest_rejected_total") >= rejectedBefore + 1);
    }

    @Test
    void aLossFoundByTwoReplicasIsCountedOnce() {
        String counted = Gateway.uniqueRoom("lost-counted");
        String fresh = Gateway.uniqueRoom("lost-fresh");
        // Both rooms lost seqs 1..3 from the recent log before anyone stored them; another replica (of the version
        // before ranges) already counted the first room's loss.
        redis.execute("SET", RoomKeys.lost(counted), "3");
        double lostBefore = IngestTest.metric("chat_history_lost_total");

        gateway.publish(counted, 4, "alice", "four");
        gateway.publish(fresh, 4, "alice", "four");

        await().atMost(WAIT).untilAsserted(() -> {
            assertEquals("4", gateway.get(RoomKeys.stored(counted)));
            assertEquals("4", gateway.get(RoomKeys.stored(fresh)));
        });
        assertEquals(lostBefore + 3, IngestTest.metric("chat_history_lost_total"));
        assertEquals(List.of("1:3"), redis.sortedSet(String.class).zrange(RoomKeys.lost(fresh), 0, -1));
    }

    @Test
    void lossesFoundInAnyOrderAreEachCountedOnce() {
        String room = Gateway.uniqueRoom("lost-out-of-order");
        // Two replicas find parts of the room's losses in different orders, and overlapping.
        assertEquals(11, countLost(room, 10, 20), "first sighting of 10..20");
        assertEquals(4, countLost(room, 5, 8), "a lower range found later still counts");
        assertEquals(0, countLost(room, 5, 8), "the other replica finds it again");
        assertEquals(0, countLost(room, 12, 15), "inside a counted range");
        assertEquals(10, countLost(room, 1, 25), "only 1..4, 9 and 21..25 are new");
        assertEquals(List.of("1:25"), redis.sortedSet(String.class).zrange(RoomKeys.lost(room), 0, -1), "merged into one range");
        assertEquals(5, countLost(room, 30, 34));
        assertEquals(List.of("1:25", "30:34"), redis.sortedSet(String.class).zrange(RoomKeys.lost(room), 0, -1));
    }

    private long countLost(String room, long first, long last) {
        return COUNT_LOST.run(reactiveRedis, List.of(RoomKeys.lost(room)), List.of(Long.toString(first), Long.toString(last)))
                .await().indefinitely().toLong();
    }

    /** The dead-letter entry for (room, seq), waiting for it to appear. */
    private StreamMessage<String, String, String> deadLetter(String room, long seq) {
        return await().atMost(WAIT).until(() -> redis.stream(String.class).xrange(DEAD_LETTERS, StreamRange.of("-", "+")).stream()
                .filter(m -> room.equals(m.payload().get("room")) && Long.toString(seq).equals(m.payload().get("seq")))
                .findFirst().orElse(null), found -> found != null);
    }
}
