package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis Pub/Sub can drop messages silently. These tests accept messages into a room the way the
 * publish script does but without publishing them, as a dropped delivery looks to a gateway.
 */
@QuarkusTest
class GapFillTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    String room;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        room = "gap-" + UUID.randomUUID().toString().substring(0, 8);
    }

    void acceptWithoutPublishing(String text) {
        RoomLogs.acceptWithoutPublishing(redis, room, text);
    }

    ChatClient joined(String user) {
        ChatClient client = ChatClient.connect(vertx, base, Tokens.forUser(user));
        client.next("welcome");
        client.send(new JsonObject().put("type", "join").put("room", room));
        client.next("joined");
        return client;
    }

    @Test
    void aJumpInSeqIsFilledFromTheRecentLogBeforeTheLaterMessageIsDelivered() {
        try (ChatClient alice = joined("alice"); ChatClient bob = joined("bob")) {
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "one").put("cid", "1"));
            assertEquals(1, bob.next("message").getLong("seq"));

            acceptWithoutPublishing("lost two");
            acceptWithoutPublishing("lost three");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "four").put("cid", "4"));

            for (long seq = 2; seq <= 4; seq++) {
                JsonObject message = bob.next("message");
                assertEquals(seq, message.getLong("seq"));
            }
            assertNull(bob.pollNothing(300), "each message once");
        }
    }

    @Test
    void aLossAtTheTailIsCaughtByThePeriodicPositionCheck() {
        try (ChatClient bob = joined("bob")) {
            acceptWithoutPublishing("silently lost");
            JsonObject message = bob.next("message");
            assertEquals(1, message.getLong("seq"));
            assertEquals("silently lost", message.getString("text"));
        }
    }

    @Test
    void aGapWhoseStartIsNoLongerInTheLogGivesRecoveredFalseNeverASilentHole() {
        try (ChatClient alice = joined("alice"); ChatClient bob = joined("bob")) {
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "one").put("cid", "1"));
            assertEquals(1, bob.next("message").getLong("seq"));

            acceptWithoutPublishing("lost two");
            acceptWithoutPublishing("lost three");
            // The log was trimmed at the front: 2 is gone, 3 is still there.
            redis.execute("XDEL", "chat:{" + room + "}:log", "2-0");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "four").put("cid", "4"));

            JsonObject next = bob.next(f -> "message".equals(f.getString("type")) || "joined".equals(f.getString("type")));
            assertEquals("joined", next.getString("type"), "not message 3 after 1: " + next);
            assertEquals(false, next.getBoolean("recovered"));
            assertEquals(4, next.getLong("seq"), "reload up to 4 from history, then live continues");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "five").put("cid", "5"));
            assertEquals(5, bob.next("message").getLong("seq"));
        }
    }
}
