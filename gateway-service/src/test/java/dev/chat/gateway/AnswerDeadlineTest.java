package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A frame whose Redis work gets no reply is answered {@code unavailable} within chat.limits.answer-timeout, and the
 * connection's next frames are handled: a stalled Redis never leaves a client without an answer, or its later frames
 * stuck behind one.
 */
@QuarkusTest
@TestProfile(ShortDeadlineAndSmallOutboundBound.class)
class AnswerDeadlineTest {

    public static class ShortDeadline implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.limits.answer-timeout", "1s");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aFrameRedisDoesNotAnswerIsAnsweredUnavailableAndTheNextFramesGoOn() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "deadline-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient client = ChatClient.welcomed(vertx, base, "patient-" + room)) {
            client.send(new JsonObject().put("type", "join").put("room", room));
            client.next("joined");
            // Every command stalls for 6 s (this test's own client too, so the pause is left to end by itself). Frames are
            // handled one at a time: each waits at most the deadline, 1 s here.
            redis.execute("CLIENT", "PAUSE", "6000", "ALL");
            client.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "who"));
            client.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello").put("cid", "m1"));
            client.send(new JsonObject().put("type", "ping").put("cid", "still-there"));

            JsonObject presence = client.next(f -> "who".equals(f.getString("cid")));
            assertEquals("error", presence.getString("type"), "the presence query: " + presence);
            assertEquals("unavailable", presence.getString("code"));
            JsonObject send = client.next(f -> "m1".equals(f.getString("cid")));
            assertEquals("error", send.getString("type"), "the send: " + send);
            assertEquals("unavailable", send.getString("code"), "a send that may have landed: resend with the same cid");
            assertEquals("pong", client.next(f -> "still-there".equals(f.getString("cid"))).getString("type"));
            // Once Redis is back, the same cid lands once (or is answered with the seq it already got).
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> redis.execute("PING") != null);
            client.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello").put("cid", "m1"));
            JsonObject ack = client.next(f -> "ack".equals(f.getString("type")) && "m1".equals(f.getString("cid")));
            JsonObject message = client.next(f -> "message".equals(f.getString("type")) && "m1".equals(f.getString("cid")));
            assertEquals(message.getLong("seq"), ack.getLong("seq"), "one message for the cid, acked with its seq");
        }
    }
}
