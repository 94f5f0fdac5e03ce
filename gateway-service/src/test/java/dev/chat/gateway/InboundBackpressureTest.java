package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A connection's unhandled frames are bounded: while one frame waits on Redis, reading from the socket
 * pauses after a few more, so a client cannot park megabytes of frames in the gateway. Frames between
 * chat.limits.frame-bytes and the WebSocket message limit get too_large; larger ones close with 1009.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class InboundBackpressureTest {

    static final int FRAME = 16 * 1024;
    static final int FRAMES = 1000;

    public static class GenerousRates implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // Rates out of the way: this test is about frames waiting, not frames refused.
            return Map.of("chat.limits.pings-per-second", "100000", "chat.limits.ping-burst", "100000",
                    "chat.limits.abuse-threshold", "100000");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void whileAFrameWaitsOnRedisTheClientCannotPushMegabytesIntoTheGateway() throws Exception {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "bp-" + UUID.randomUUID().toString().substring(0, 8);
        try (Socket socket = new Socket()) {
            socket.setSendBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()));
            RawWebSocket.upgrade(socket, Tokens.forUser("flooder"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            OutputStream out = socket.getOutputStream();

            // Redis stalls for 5 s: the presence query waits, and every frame after it waits behind it.
            redis.execute("CLIENT", "PAUSE", "5000", "ALL");
            RawWebSocket.sendText(out, new JsonObject().put("type", "presence").put("room", room).put("cid", "slow").encode());
            String pad = "p".repeat(FRAME - 40);
            AtomicLong written = new AtomicLong();
            Thread flood = new Thread(() -> {
                try {
                    for (int i = 0; i < FRAMES; i++) {
                        RawWebSocket.sendText(out, "{\"type\":\"ping\",\"cid\":\"" + i + "\",\"pad\":\"" + pad + "\"}");
                        written.addAndGet(FRAME);
                    }
                } catch (IOException e) {
                    // the socket closed: the reader below reports how
                }
            });
            flood.setDaemon(true);
            flood.start();
            // The flood stops when the gateway stops reading (TCP pushes back): nothing written for 300 ms.
            long[] seen = {-1};
            await().pollInterval(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> {
                long now = written.get();
                boolean stalled = now > 0 && now == seen[0];
                seen[0] = now;
                return stalled;
            });
            long duringStall = written.get();
            assertTrue(duringStall < 6L * 1024 * 1024,
                    "while Redis stalled, the gateway took only a bounded part of the " + (FRAMES * FRAME >> 20) + " MB: " + (duringStall >> 10) + " KB");

            // Once Redis is back, everything is answered, in order: nothing was dropped.
            assertEquals("presence", RawWebSocket.readUntil(in, "presence").getString("type"));
            for (int i = 0; i < FRAMES; i++) {
                JsonObject pong = RawWebSocket.readUntil(in, "pong");
                assertEquals(Integer.toString(i), pong.getString("cid"));
            }
            flood.join(10_000);
        }
    }

    @Test
    void aFrameAboveTheFrameLimitButBelowTheMessageLimitIsTooLargeAndTheConnectionStays() throws Exception {
        // Fragmented (the Vert.x client splits at 64 KiB) and as one frame (as the JDK client and browsers send it).
        try (ChatClient client = ChatClient.connect(vertx, base, Tokens.forUser("big"))) {
            client.next("welcome");
            client.sendRaw("{\"type\":\"ping\",\"cid\":\"big\",\"pad\":\"" + "p".repeat(100 * 1024) + "\"}");
            JsonObject error = client.next("error");
            assertEquals("too_large", error.getString("code"));
            client.send(new JsonObject().put("type", "ping").put("cid", "after"));
            assertEquals("after", client.next("pong").getString("cid"));
        }
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            RawWebSocket.upgrade(socket, Tokens.forUser("big-single"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            RawWebSocket.sendText(socket.getOutputStream(), "{\"type\":\"ping\",\"cid\":\"one\",\"pad\":\"" + "p".repeat(100 * 1024) + "\"}");
            assertEquals("too_large", RawWebSocket.readUntil(in, "error").getString("code"));
            RawWebSocket.sendText(socket.getOutputStream(), "{\"type\":\"ping\",\"cid\":\"after\"}");
            assertEquals("after", RawWebSocket.readUntil(in, "pong").getString("cid"));
        }
    }

    @Test
    void aMessageFarAboveTheFrameLimitClosesWith1009BeforeItIsBuffered() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            RawWebSocket.upgrade(socket, Tokens.forUser("huge"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            RawWebSocket.sendMessageAboveTheLimit(socket.getOutputStream());
            socket.setSoTimeout(10_000);
            assertEquals(1009, RawWebSocket.readUntilClose(in));
        }
    }
}
