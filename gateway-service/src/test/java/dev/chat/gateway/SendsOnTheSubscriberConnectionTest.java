package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On a standalone Redis speaking RESP3 the publish script runs on the gateway's subscriber connection, so
 * Redis writes a send's reply and the message it publishes to this gateway in one write. Replies are
 * matched to sends by the tag each carries; every ack must still name its own message.
 */
@QuarkusTest
// A Redis of its own: the test flushes Redis's scripts and reads CLIENT LIST.
@TestProfile(RedisFaultTest.OwnRedisProfile.class)
@QuarkusTestResource(value = OwnRedis.class, restrictToAnnotatedClass = true)
class SendsOnTheSubscriberConnectionTest {

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

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    static JsonObject send(String room, String text, String cid) {
        return new JsonObject().put("type", "send").put("room", room).put("text", text).put("cid", cid);
    }

    /** The CLIENT LIST line of this gateway's subscriber connection. */
    String subscriberConnection() {
        for (String line : redis.execute("CLIENT", "LIST").toString().split("\n")) {
            if (line.contains(" name=chat-gateway-sub-")) {
                return line;
            }
        }
        throw new AssertionError("no subscriber connection in CLIENT LIST");
    }

    @Test
    void aSendRunsOnTheSubscriberConnectionAndItsAckNamesItsMessage() {
        String room = "carry-" + suffix;
        try (ChatClient alice = connect("alice-" + suffix)) {
            alice.join(room);
            await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
            alice.send(send(room, "over the subscriber", "c1"));
            JsonObject ack = alice.next("ack");
            JsonObject message = alice.next(f -> "message".equals(f.getString("type")) && "c1".equals(f.getString("cid")));
            assertEquals(message.getLong("seq"), ack.getLong("seq"));
            String connection = subscriberConnection();
            assertTrue(connection.contains(" cmd=evalsha ") && connection.matches("(?s).* resp=3\\b.*"), connection);
        }
    }

    @Test
    void concurrentSendsFromManyClientsEachGetTheAckOfTheirOwnMessage() {
        List<String> rooms = List.of("tagA-" + suffix, "tagB-" + suffix, "tagC-" + suffix);
        List<ChatClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                ChatClient client = connect("user" + i + "-" + suffix);
                for (String room : rooms) {
                    client.join(room);
                }
                clients.add(client);
            }
            await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
            int perClient = 40;
            // All at once: replies and pushes of other rooms interleave on the one connection.
            for (int n = 0; n < perClient; n++) {
                for (int c = 0; c < clients.size(); c++) {
                    clients.get(c).send(send(rooms.get((n + c) % rooms.size()), "m" + n, "u" + c + "-" + n));
                }
            }
            for (int c = 0; c < clients.size(); c++) {
                ChatClient client = clients.get(c);
                Map<String, Long> acked = new HashMap<>();
                Map<String, Long> delivered = new HashMap<>();
                String mine = "u" + c + "-";
                while (acked.size() < perClient || delivered.size() < perClient) {
                    JsonObject frame = client.next(f -> "ack".equals(f.getString("type"))
                            || ("message".equals(f.getString("type")) && f.getString("cid", "").startsWith(mine)));
                    (frame.getString("type").equals("ack") ? acked : delivered).put(frame.getString("cid"), frame.getLong("seq"));
                }
                assertEquals(delivered, acked, "client " + c + ": every ack carries the seq of the message with its cid");
            }
            // Within each room the seqs handed out are distinct (no reply was given to two sends).
            for (String room : rooms) {
                Set<Long> seqs = new HashSet<>();
                for (Response entry : redis.execute("XRANGE", "chat:{" + room + "}:log", "-", "+")) {
                    assertTrue(seqs.add(Long.parseLong(entry.get(0).toString().split("-")[0])));
                }
                assertEquals(perClient * clients.size() / rooms.size(), seqs.size(), room);
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void afterRedisForgetsTheScriptASendIsStillAcceptedOnceAndTheNextOnesRunOnTheSubscriberAgain() {
        String room = "flush-" + suffix;
        try (ChatClient alice = connect("alice-" + suffix)) {
            alice.join(room);
            await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
            redis.execute("SCRIPT", "FLUSH");
            double onPool = sends("pool");
            double onSubscriber = sends("subscriber");
            alice.send(send(room, "after a flush", "f1"));
            long first = alice.next("ack").getLong("seq");
            // NOSCRIPT on the subscriber's connection: the pool ran it (and loaded the script).
            assertEquals(onPool + 1, sends("pool"));
            alice.send(send(room, "and again", "f2"));
            assertEquals(first + 1, alice.next("ack").getLong("seq"));
            // The resend of f1 is answered with f1's seq, not a new one.
            alice.send(send(room, "after a flush", "f1"));
            assertEquals(first, alice.next("ack").getLong("seq"));
            assertTrue(subscriberConnection().contains(" cmd=evalsha "), subscriberConnection());
            assertEquals(onSubscriber + 2, sends("subscriber"), "the two sends after the first went on the subscriber again");
        }
    }

    @Test
    void aSendRedisDoesNotAnswerInTimeIsRefusedUnavailableAndItsResendGetsTheSeqItWasGivenLater() {
        String room = "pause-" + suffix;
        try (ChatClient alice = connect("alice-" + suffix)) {
            alice.join(room);
            await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
            // Redis stays connected but runs no command for 8 s, longer than the send timeout (3 s).
            redis.execute("CLIENT", "PAUSE", "8000", "ALL");
            alice.send(send(room, "into a paused Redis", "p1"));
            JsonObject refused = alice.next("error");
            assertEquals("unavailable", refused.getString("code"));
            assertEquals("p1", refused.getString("cid"));
            // The message is in fact stored later, so the text must not say it was not accepted.
            assertEquals("the message store did not confirm the message; resend with the same cid", refused.getString("message"));
            // Redis runs the send once it resumes (a PING returns then); the resend is answered with that message's seq.
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> "PONG".equals(redis.execute("PING").toString()));
            JsonObject message = alice.next(f -> "message".equals(f.getString("type")) && "p1".equals(f.getString("cid")));
            alice.send(send(room, "into a paused Redis", "p1"));
            assertEquals(message.getLong("seq"), alice.next("ack").getLong("seq"));
            assertEquals(1, redis.execute("XLEN", "chat:{" + room + "}:log").toInteger(), "one message, not two");
        }
    }

    @Test
    void aSendWhoseSubscriberConnectionDropsBeforeItsReplyIsAcceptedOnceThroughThePool() {
        String room = "lost-" + suffix;
        try (ChatClient alice = connect("alice-" + suffix)) {
            alice.join(room);
            await().atMost(Duration.ofSeconds(10)).until(subscriber::canCall);
            // Redis runs no script for 2 s: the send waits on the subscriber's connection, which is then killed under it.
            redis.execute("CLIENT", "PAUSE", "2000", "WRITE");
            alice.send(send(room, "across a dropped connection", "d1"));
            await().atMost(Duration.ofSeconds(5)).until(() -> redis.execute("CLIENT", "LIST", "TYPE", "pubsub").toString().contains("cmd=evalsha"));
            redis.execute("CLIENT", "KILL", "TYPE", "pubsub");
            // The cid makes a second run safe, so the gateway runs it on the pool instead of telling the client to resend.
            JsonObject reply = alice.next(f -> "ack".equals(f.getString("type")) || "error".equals(f.getString("type")));
            assertEquals("ack", reply.getString("type"), reply.encode());
            assertEquals("d1", reply.getString("cid"));
            assertEquals(1, redis.execute("XLEN", "chat:{" + room + "}:log").toInteger(), "one message, not two");
        }
    }

    /**
     * What chat.gateway.sends{connection=...} reports. Read from the metrics bean, not the registry: in tests the
     * registry outlives each Quarkus restart and keeps the first application's meters.
     */
    double sends(String connection) {
        return metrics.sends("subscriber".equals(connection));
    }
}
