package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * One frame larger than the outbound bound by itself (in production: the full presence list of a very large room) reaches
 * members who read, live or catching up from the room's log: the bound is for frames piling up behind a client that does
 * not read, not for one frame's size.
 */
@QuarkusTest
@TestProfile(ShortDeadlineAndSmallOutboundBound.class)
class FrameAboveTheOutboundBoundTest {

    /** 4 KiB may wait per connection: a message of 4,000 characters is a frame above it. */
    public static class SmallOutboundBound implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.limits.outbound-bytes", "4096");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aFrameAboveTheBoundAloneReachesMembersWhoRead() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "big-frame-" + UUID.randomUUID().toString().substring(0, 6);
        String text = "x".repeat(4000);
        try (ChatClient sender = ChatClient.welcomed(vertx, base, "talker-" + room);
                ChatClient reader = ChatClient.welcomed(vertx, base, "reader-" + room)) {
            for (ChatClient client : new ChatClient[] {sender, reader}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }
            sender.send(new JsonObject().put("type", "send").put("room", room).put("text", text).put("cid", "long"));
            assertEquals("ack", sender.next(f -> "long".equals(f.getString("cid")) && !"message".equals(f.getString("type"))).getString("type"));
            assertEquals(text, reader.next("message").getString("text"));
            assertEquals(text, sender.next("message").getString("text"), "the sender's own copy too");
            reader.send(new JsonObject().put("type", "ping").put("cid", "after"));
            assertEquals("pong", reader.next("pong").getString("type"));
            assertFalse(reader.isClosed());
        }
    }

    @Test
    void aFrameAboveTheBoundAloneReachesAMemberCatchingUpFromTheLog() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "big-replay-" + UUID.randomUUID().toString().substring(0, 6);
        String text = "y".repeat(4000);
        try (ChatClient sender = ChatClient.welcomed(vertx, base, "talker-" + room)) {
            sender.send(new JsonObject().put("type", "join").put("room", room));
            String epoch = sender.next("joined").getString("epoch");
            sender.send(new JsonObject().put("type", "send").put("room", room).put("text", text).put("cid", "long"));
            sender.next(f -> "ack".equals(f.getString("type")));
            try (ChatClient late = ChatClient.welcomed(vertx, base, "late-" + room)) {
                late.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("epoch", epoch));
                assertEquals(1, late.next("joined").getLong("seq"));
                // Replayed from the recent log, not delivered live: the same frame, the same bound.
                assertEquals(text, late.next("message").getString("text"));
                late.send(new JsonObject().put("type", "ping").put("cid", "after"));
                assertEquals("pong", late.next("pong").getString("type"));
                assertFalse(late.isClosed());
            }
        }
    }
}
