package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.ConfigUnion;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sends that arrive within the linger share one publish script call on the subscriber's connection, at most
 * batch-max to a call. Each still gets its own answer, a client's sends keep their order, and one message's
 * failure is its own.
 */
@QuarkusTest
// A Redis of its own: the test pauses Redis and kills the subscriber's connection.
@TestProfile(SendsShareScriptCallsTest.LongLinger.class)
@QuarkusTestResource(value = OwnRedis.class, restrictToAnnotatedClass = true)
class SendsShareScriptCallsTest {

    /** A linger long enough that sends made at once always share calls. */
    public static class LongLinger implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return ConfigUnion.of(new RedisFaultTest.OwnRedisProfile().getConfigOverrides(),
                    Map.of("chat.subscriber.batch-linger", "1s", "chat.subscriber.batch-max", "8"));
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    RoomSubscriber subscriber;

    @Inject
    GatewayMetrics metrics;

    String suffix;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        suffix = UUID.randomUUID().toString().substring(0, 6);
    }

    ChatClient joined(String user, String... rooms) {
        ChatClient client = ChatClient.welcomed(vertx, base, user);
        for (String room : rooms) {
            client.join(room);
        }
        await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
        return client;
    }

    static JsonObject send(String room, String text, String cid) {
        JsonObject frame = new JsonObject().put("type", "send").put("room", room).put("text", text);
        return cid == null ? frame : frame.put("cid", cid);
    }

    /** The ack or error that answers the send with {@code cid} (null: the one without a cid). */
    static JsonObject answer(ChatClient client, String cid) {
        return client.next(f -> ("ack".equals(f.getString("type")) || "error".equals(f.getString("type")))
                && java.util.Objects.equals(cid, f.getString("cid")));
    }

    @Test
    void sendsFromManyClientsShareCallsOfAtMostBatchMaxAndEachClientKeepsItsOrder() {
        String room = "burst-" + suffix;
        List<ChatClient> clients = new ArrayList<>();
        try {
            for (int c = 0; c < 10; c++) {
                clients.add(joined("user" + c + "-" + suffix, room));
            }
            long calls = metrics.sendCalls();
            long sends = metrics.sends(true);
            // A connection's frames are handled one at a time, so its second send waits for its first one's ack.
            for (int c = 0; c < clients.size(); c++) {
                for (int n = 0; n < 2; n++) {
                    clients.get(c).send(send(room, "m" + n, "u" + c + "-" + n));
                }
            }
            Set<Long> seqs = new HashSet<>();
            for (int c = 0; c < clients.size(); c++) {
                JsonObject first = answer(clients.get(c), "u" + c + "-0");
                JsonObject second = answer(clients.get(c), "u" + c + "-1");
                assertEquals("ack", first.getString("type"), first.encode());
                assertEquals("ack", second.getString("type"), second.encode());
                assertTrue(first.getLong("seq") < second.getLong("seq"), "a client's sends keep their order: " + first + " " + second);
                assertTrue(seqs.add(first.getLong("seq")) && seqs.add(second.getLong("seq")), "no seq given twice: " + seqs);
            }
            assertEquals(20, redis.execute("XLEN", "chat:{" + room + "}:log").toInteger());
            assertEquals(sends + 20, metrics.sends(true), "all twenty ran on the subscriber's connection");
            long used = metrics.sendCalls() - calls;
            assertTrue(used >= 3, "at most 8 sends to a call: " + used + " calls");
            assertTrue(used < 20, "sends within the linger share calls: " + used + " calls");
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aSendRedisRefusesFailsAloneAndTheOthersInItsCallAreAccepted() {
        String broken = "broken-" + suffix;
        String fine = "fine-" + suffix;
        try (ChatClient alice = joined("alice-" + suffix, fine); ChatClient bob = joined("bob-" + suffix, broken);
                ChatClient carol = joined("carol-" + suffix, fine)) {
            // The broken room's log is no longer a stream: Redis refuses to append to it.
            redis.execute("SET", "chat:{" + broken + "}:log", "not a stream");
            // A first send makes the gateway busy, so the next ones wait for company (a send after a quiet spell goes alone:
            // SendBatchesTest).
            alice.send(send(fine, "warming up", "w1"));
            assertEquals("ack", answer(alice, "w1").getString("type"));
            long calls = metrics.sendCalls();
            alice.send(send(fine, "from alice", "f1"));
            bob.send(send(broken, "into a broken room", "x1"));
            carol.send(send(fine, "from carol", "f2"));
            JsonObject first = answer(alice, "f1");
            JsonObject refused = answer(bob, "x1");
            JsonObject last = answer(carol, "f2");
            assertEquals(1, metrics.sendCalls() - calls, "the three went in one call");
            assertEquals("ack", first.getString("type"), first.encode());
            assertEquals("error", refused.getString("type"), refused.encode());
            assertEquals("unavailable", refused.getString("code"));
            assertFalse(refused.getString("message").contains("WRONGTYPE"), "Redis's own error stays in the log: " + refused.encode());
            assertEquals("ack", last.getString("type"), last.encode());
            assertEquals(Set.of(2L, 3L), Set.of(first.getLong("seq"), last.getLong("seq")));
            assertEquals(3, redis.execute("XLEN", "chat:{" + fine + "}:log").toInteger());
        }
    }

    @Test
    void whenTheConnectionDropsUnderACallOnlyItsSendsWithACidRunAgain() {
        String room = "dropped-" + suffix;
        try (ChatClient alice = joined("alice-" + suffix, room); ChatClient bob = joined("bob-" + suffix, room)) {
            alice.send(send(room, "warming up", "w1"));
            assertEquals("ack", answer(alice, "w1").getString("type"));
            // Redis runs no script for 2 s: the call waits on the subscriber's connection, which is then killed under it.
            redis.execute("CLIENT", "PAUSE", "2000", "WRITE");
            long calls = metrics.sendCalls();
            alice.send(send(room, "with a cid", "d1"));
            bob.send(send(room, "without one", null));
            // Once the linger is over the call is on its way; killing the connection before or after Redis read it, the
            // gateway cannot know whether it ran.
            await().atMost(Duration.ofSeconds(5)).until(() -> metrics.sendCalls() - calls == 1);
            redis.execute("CLIENT", "KILL", "TYPE", "pubsub");
            JsonObject withCid = answer(alice, "d1");
            JsonObject without = answer(bob, null);
            // The cid makes a second run safe; without one the client is told to resend (it was not run: Redis was paused).
            assertEquals("ack", withCid.getString("type"), withCid.encode());
            assertEquals("error", without.getString("type"), without.encode());
            assertEquals("unavailable", without.getString("code"));
            assertEquals(2, redis.execute("XLEN", "chat:{" + room + "}:log").toInteger(), "the warm-up and d1 once, not twice");
        }
    }
}
