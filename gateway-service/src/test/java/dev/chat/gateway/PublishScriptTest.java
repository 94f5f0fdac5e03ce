package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.publish.Accepted;
import dev.chat.gateway.publish.MessagePublisher;
import dev.chat.gateway.publish.RoomPositions;
import dev.chat.gateway.publish.RoomUnavailable;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The publish script's guarantees with a small recent log: retention keeps at least the last
 * min-entries messages, everything younger than min-age and everything history has not stored;
 * a room whose counter is missing while its other keys remain is never restarted at 1.
 */
@QuarkusTest
@TestProfile(SmallLogAndPoolQueue.class)
class PublishScriptTest {

    @Inject
    MessagePublisher publisher;

    @Inject
    RoomPositions positions;

    @Inject
    RedisDataSource redis;

    String room;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        room = "pub-" + UUID.randomUUID().toString().substring(0, 8);
    }

    Accepted publish(String text, String cid) {
        return publisher.publish(room, "alice", text, cid).await().atMost(Duration.ofSeconds(10));
    }

    List<Long> logSeqs() {
        List<Long> seqs = new ArrayList<>();
        for (Response entry : redis.execute("XRANGE", "chat:{" + room + "}:log", "-", "+")) {
            seqs.add(Long.parseLong(entry.get(0).toString().split("-")[0]));
        }
        return seqs;
    }

    @Test
    void thePayloadIsTheProtocolsMessageFrameWithTextEscaped() {
        String text = "quote \" backslash \\ newline \n tab \t unicode é 😀 slash / <b>";
        Accepted accepted = publish(text, "c-\"1\"");
        Response entry = redis.execute("XRANGE", "chat:{" + room + "}:log", "-", "+").get(0);
        JsonObject payload = new JsonObject(entry.get(1).get(1).toString());
        assertEquals("message", payload.getString("type"));
        assertEquals(room, payload.getString("room"));
        assertEquals("alice", payload.getString("from"));
        assertEquals(text, payload.getString("text"));
        assertEquals("c-\"1\"", payload.getString("cid"));
        assertEquals(accepted.seq(), payload.getLong("seq"));
        assertEquals(accepted.ts(), payload.getLong("ts"));
        assertEquals(Long.toString(accepted.ts()), entry.get(1).get(3).toString(), "the entry's t field is the ts");

        Accepted uncorrelated = publish("no cid", null);
        JsonObject second = new JsonObject(redis.execute("XRANGE", "chat:{" + room + "}:log", "-", "+").get(1).get(1).get(1).toString());
        assertFalse(second.containsKey("cid"));
        assertEquals(uncorrelated.seq(), second.getLong("seq"));
    }

    @Test
    void retentionKeepsYoungMessagesThenTrimsToTheMinimumCount() {
        publish("m0", null);
        // History is up to date (far ahead, as a stand-in), so only count and age hold entries back.
        redis.execute("SET", "chat:{" + room + "}:stored", "1000000");
        for (int i = 1; i < 200; i++) {
            publish("m" + i, null);
        }
        assertEquals(200, logSeqs().size(), "all 200 are younger than min-age: none is trimmed");
        // Once they are older than min-age, the next trims keep the last min-entries (and a stream node's slack).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (int i = 0; i < 8; i++) {
                publish("later", null);
            }
            List<Long> seqs = logSeqs();
            assertTrue(seqs.size() < 200, "old entries were trimmed: " + seqs.size());
        });
        List<Long> seqs = logSeqs();
        long head = seqs.get(seqs.size() - 1);
        assertTrue(seqs.size() >= 20, "at least min-entries remain: " + seqs.size());
        for (int i = 1; i < seqs.size(); i++) {
            assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "trimmed only from the front, no hole");
        }
        assertEquals(head, Long.parseLong(redis.execute("GET", "chat:{" + room + "}:seq").toString()));
    }

    @Test
    void whatHistoryHasNotStoredIsNeverTrimmed() {
        publish("first", null);
        redis.execute("SET", "chat:{" + room + "}:stored", "130");
        for (int i = 0; i < 250; i++) {
            publish("m" + i, null);
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (int i = 0; i < 8; i++) {
                publish("later", null);
            }
            assertTrue(logSeqs().get(0) > 1, "stored entries may go once old");
        });
        List<Long> seqs = logSeqs();
        assertTrue(seqs.get(0) <= 131, "every entry above the stored position 130 is kept: first is " + seqs.get(0));
        assertEquals(seqs.get(seqs.size() - 1) - seqs.get(0) + 1, seqs.size(), "no hole");
    }

    @Test
    void aResendWithTheSameCidReturnsTheOriginalAck() {
        Accepted first = publish("hello", "same");
        publish("other", "different");
        Accepted again = publish("hello", "same");
        assertTrue(again.duplicate());
        assertEquals(first.seq(), again.seq());
        assertEquals(first.ts(), again.ts());
        assertEquals(2, logSeqs().size());
    }

    @Test
    void aLostCounterIsNeverRestartedAt1AndIsReseededOrContinuedUnderANewEpoch() {
        for (int i = 0; i < 5; i++) {
            publish("m" + i, null);
        }
        String epoch = redis.execute("GET", "chat:{" + room + "}:epoch").toString();
        redis.execute("DEL", "chat:{" + room + "}:seq");

        assertThrows(RoomUnavailable.class, () -> publish("after loss", "x1"), "never restarts at 1");
        assertThrows(RoomUnavailable.class, () -> positions.position(room, null, null).await().atMost(Duration.ofSeconds(10)),
                "a join waits too");
        assertEquals(0, redis.execute("EXISTS", "chat:generation").toInteger(), "the marker is gone: history re-seeds");

        // History's re-seed (stand-in): the counter back to its highest seq under a new epoch, then the marker.
        redis.execute("SET", "chat:{" + room + "}:seq", "5");
        redis.execute("SET", "chat:{" + room + "}:epoch", "reseeded");
        redis.execute("SET", "chat:generation", "after-reseed");
        assertEquals(6, publish("after loss", "x1").seq());

        // Lost again, and this time history holds nothing beyond the stored position: the room goes on
        // from its log's tail, under a new epoch, once a re-seed ran without restoring it.
        redis.execute("DEL", "chat:{" + room + "}:seq");
        assertThrows(RoomUnavailable.class, () -> publish("second loss", "x2"));
        redis.execute("SET", "chat:generation", "after-second-reseed");
        assertEquals(7, publish("second loss", "x2").seq());
        String newEpoch = redis.execute("GET", "chat:{" + room + "}:epoch").toString();
        assertNotEquals(epoch, newEpoch);
        assertNotEquals("reseeded", newEpoch);
    }

    @Test
    void aRoomThatWasOnlyJoinedKeepsItsEpochAndAnEpochWithoutCounterIsALoss() {
        var joined = positions.position(room, null, null).await().atMost(Duration.ofSeconds(10));
        assertEquals(0, joined.seq());
        assertEquals(1, publish("first", null).seq(), "a new room starts at 1");
        assertEquals(joined.epoch(), redis.execute("GET", "chat:{" + room + "}:epoch").toString());

        String other = "pub-" + UUID.randomUUID().toString().substring(0, 8);
        redis.execute("SET", "chat:{" + other + "}:epoch", "old");
        assertThrows(RoomUnavailable.class, () -> publisher.publish(other, "alice", "x", null).await().atMost(Duration.ofSeconds(10)));
        redis.execute("SET", "chat:generation", "test");
    }
}
