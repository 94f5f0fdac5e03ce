package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chat.gateway.metrics.GatewayMetrics;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * With {@code chat.fan-out.write-interval}, the messages a busy room publishes within the interval after a member's
 * last write reach that member together, in one socket write, in order and all of them.
 */
@QuarkusTest
@TestProfile(FanOutWriteIntervalTest.WriteInterval.class)
public class FanOutWriteIntervalTest {

    public static class WriteInterval implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // Far longer than the round trips below take; shorter than the 5 s a test client waits for a frame.
            return Map.of("chat.fan-out.write-interval", "3s");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    GatewayMetrics metrics;

    @Inject
    RedisDataSource redis;

    @Test
    void aBusyRoomsMessagesShareEachMembersWritesAndArriveInOrder() {
        // Redis holds its data (no re-seed from history pending): what a running deployment has.
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "busy-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient alice = ChatClient.welcomed(vertx, base, "alice"); ChatClient bob = ChatClient.welcomed(vertx, base, "bob")) {
            for (ChatClient client : List.of(alice, bob)) {
                // No presence frames: only the room's messages and the sender's acks are written meanwhile.
                client.send(new JsonObject().put("type", "join").put("room", room).put("presence", "none"));
                client.next("joined");
            }
            send(alice, room, 1);
            assertEquals(1, bob.next("message").getLong("seq"), "the first message of a quiet room");
            alice.next("message");

            long firstWritten = System.nanoTime();
            long flushesBefore = metrics.frameFlushes();
            // Each sent once the previous was accepted: without the interval, each would be a write of its own to each member.
            for (int n = 2; n <= 5; n++) {
                send(alice, room, n);
            }
            // Only sends accepted within the interval after the first write can share a write: a machine too busy for
            // four round trips in 2.5 s cannot show it.
            assumeTrue(System.nanoTime() - firstWritten < 2_500_000_000L, "the four sends took longer than the interval");
            List<Long> seqs = new ArrayList<>();
            for (int n = 2; n <= 5; n++) {
                seqs.add(bob.next("message").getLong("seq"));
                alice.next("message");
            }
            long writes = metrics.frameFlushes() - flushesBefore;

            assertEquals(List.of(2L, 3L, 4L, 5L), seqs, "every message, in order");
            // 4 acks to alice, then one write to each member for the four messages: 6; 12 with a write per message.
            assertTrue(writes <= 7, "4 acks and 8 deliveries went out in " + writes + " socket writes");
        }
    }

    private static void send(ChatClient sender, String room, int n) {
        sender.send(new JsonObject().put("type", "send").put("room", room).put("text", "m" + n).put("cid", "c" + n));
        assertEquals("c" + n, sender.next("ack").getString("cid"));
    }
}
