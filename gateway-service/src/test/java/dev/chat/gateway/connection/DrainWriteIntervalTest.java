package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chat.gateway.ChatClient;
import dev.chat.gateway.FanOutWriteIntervalTest;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.room.RoomRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A drained client gets its rooms' frames that wait for the write interval before its {@code reconnect}, not after it
 * (or never, once the connection closed).
 */
@QuarkusTest
@TestProfile(FanOutWriteIntervalTest.WriteInterval.class)
class DrainWriteIntervalTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ChatSessions sessions;

    @Inject
    GatewayDrain drain;

    @Inject
    FrameCodec codec;

    @Inject
    RoomRegistry rooms;

    @Test
    void aMessageWaitingForTheWriteIntervalReachesTheClientBeforeItsReconnect() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "drained-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient alice = ChatClient.welcomed(vertx, base, "drain-alice");
                ChatClient bob = ChatClient.welcomed(vertx, base, "drain-bob")) {
            for (ChatClient client : new ChatClient[] {alice, bob}) {
                client.send(new JsonObject().put("type", "join").put("room", room).put("presence", "none"));
                client.next("joined");
            }
            send(alice, room, 1);
            assertEquals(1, bob.next("message").getLong("seq"), "a quiet room's message goes out at once");
            long firstWritten = System.nanoTime();
            send(alice, room, 2);
            // Alice's ack is Redis's answer; the message then comes back through Pub/Sub. Only once it is here can it wait.
            await().atMost(Duration.ofSeconds(2)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> rooms.handedThrough(room) >= 2);
            ChatSession bobsSession = sessions.all().stream().filter(s -> s.user().equals("drain-bob")).findFirst().orElseThrow();

            drain.tell(bobsSession, codec.encode(new ServerFrame.Reconnect("shutdown")));
            // Message 2 waited for the 3 s interval only if the drain came well inside it.
            assumeTrue(System.nanoTime() - firstWritten < 2_000_000_000L, "the send and the drain took longer than the interval");

            JsonObject next = bob.next();
            assertEquals("message", next.getString("type"), "the waiting message first, then reconnect: " + next);
            assertEquals(2, next.getLong("seq"));
            assertEquals("reconnect", bob.next().getString("type"));
            await().atMost(Duration.ofSeconds(10)).until(bob::isClosed);
            assertEquals(ChatSession.SERVICE_RESTART, bob.closeCode());
        }
    }

    private static void send(ChatClient sender, String room, int n) {
        sender.send(new JsonObject().put("type", "send").put("room", room).put("text", "m" + n).put("cid", "c" + n));
        assertEquals("c" + n, sender.next("ack").getString("cid"));
    }
}
