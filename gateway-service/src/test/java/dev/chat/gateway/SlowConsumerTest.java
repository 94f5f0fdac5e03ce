package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.gateway.connection.ChatSessions;

import io.micrometer.core.instrument.MeterRegistry;
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
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A client that stops reading is closed with 1013; the other members keep receiving everything. */
@QuarkusTest
@TestProfile(SlowConsumerTest.SmallQueue.class)
class SlowConsumerTest {

    public static class SmallQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // 384 KiB instead of 1 MiB: what a stalled test client must drain through its 4 KB window before it reads its
            // close code (tens of seconds per megabyte) stays small; a replay chunk (50 x 4 KB) still fits.
            // Pings without a rate limit: only the outbound bound stands between a client's pings and the gateway's memory.
            return Map.of("chat.limits.outbound-queue", "100", "chat.limits.outbound-bytes", "393216",
                    "chat.limits.pings-per-second", "1000000", "chat.limits.ping-burst", "1000000");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ChatSessions sessions;

    @Inject
    MeterRegistry registry;

    private double slowConsumerCloses() {
        return registry.counter("chat.gateway.slow.consumer.closes").count();
    }

    @Test
    void aClientThatStopsReadingIsClosedWith1013AndOthersGetEverything() throws Exception {
        String room = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        try (Socket stalled = stalledMember("stalled", room);
                ChatClient fast = ChatClient.connect(vertx, base, Tokens.forUser("fast"))) {
            fast.next("welcome");
            fast.send(new JsonObject().put("type", "join").put("room", room));
            fast.next("joined");
            double closedBefore = slowConsumerCloses();

            // Ephemeral frames straight into the room channel: no rate limit in the way, 4 KB each.
            String filler = "x".repeat(4000);
            int frames = 1000;
            for (int i = 0; i < frames; i++) {
                redis.execute("PUBLISH", "chat:room:" + room,
                        new JsonObject().put("type", "typing").put("room", room).put("user", "load-" + i).put("pad", filler).encode());
            }
            // The stalled client reads as soon as the gateway gave up on it: a closed connection whose unread bytes stop
            // falling is cut after close-stall-timeout (5 s), sooner than a slow machine reads the fast member's 1000 frames.
            await().atMost(Duration.ofSeconds(20)).until(() -> slowConsumerCloses() > closedBefore);
            assertEquals(1013, readUntilClose(stalled), "the stalled client was cut off, not buffered without bound");
            for (int i = 0; i < frames; i++) {
                assertEquals("load-" + i, fast.next("typing").getString("user"), "the fast member misses nothing");
            }
        }
    }

    @Test
    void theLimitCountsBytesSoFewLargeFramesCannotPinMegabytes() throws Exception {
        String room = "slow-bytes-" + UUID.randomUUID().toString().substring(0, 8);
        try (Socket stalled = stalledMember("stalled-bytes", room)) {
            floodPastTheByteBound(room);
            stalled.setSoTimeout(15_000);
            assertEquals(1013, readUntilClose(stalled), "cut off by the bytes it left unread, not by the count of frames");
        }
    }

    @Test
    void aClientThatNeverReadsAgainIsCutOffAlthoughItsCloseFrameCannotReachIt() throws Exception {
        String room = "slow-never-" + UUID.randomUUID().toString().substring(0, 8);
        String user = "never-reads-" + UUID.randomUUID().toString().substring(0, 8);
        try (Socket stalled = stalledMember(user, room)) {
            // The gateway closes with 1013, but that close frame waits behind hundreds of KB the client never reads. Without
            // a cut, the connection and its buffers would stay for as long as the client keeps the socket.
            floodPastTheByteBound(room);
            await().atMost(Duration.ofSeconds(20)).until(() -> sessions.all().stream().noneMatch(s -> user.equals(s.user())));
        }
    }

    @Test
    void aClientThatPingsAndNeverReadsIsClosedWith1013() throws Exception {
        try (Socket pinger = new Socket()) {
            pinger.setReceiveBufferSize(4096);
            pinger.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
            RawWebSocket.upgrade(pinger, Tokens.forUser("pinger-" + UUID.randomUUID().toString().substring(0, 8)));
            RawWebSocket.readUntil(new DataInputStream(pinger.getInputStream()), "welcome");
            // Each ping is owed a pong; unread, the pongs can only pile up, in the kernel's buffers and then in the gateway. On
            // loopback the kernel took up to 2.5 MB of them (not only the gateway's 128 KiB send buffer: the client's side
            // holds what it received), so 7.9 MB of pings, and not so many that the client is still writing when the close
            // stall timeout (5 s) would cut it before it reads its close code.
            RawWebSocket.floodPings(pinger.getOutputStream(), 60_000);
            pinger.setSoTimeout(15_000);
            assertEquals(1013, readUntilClose(pinger), "its pongs were bounded like any frame, not buffered without end");
        }
    }

    /** A raw connection of {@code user}, joined to {@code room}, with a 4 KB receive buffer, that reads nothing more. */
    private Socket stalledMember(String user, String room) throws IOException {
        redis.execute("SET", "chat:generation", "test", "NX");
        Socket stalled = new Socket();
        stalled.setReceiveBufferSize(4096);
        stalled.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
        RawWebSocket.upgrade(stalled, Tokens.forUser(user));
        RawWebSocket.sendText(stalled.getOutputStream(), new JsonObject().put("type", "join").put("room", room).encode());
        awaitJoinedFrame(stalled);
        return stalled;
    }

    /** 90 frames of 24 KB straight into the room's channel: below the frame bound (100), 2 MB above the byte bound (384 KiB here). */
    private void floodPastTheByteBound(String room) {
        String filler = "x".repeat(24 * 1024);
        for (int i = 0; i < 90; i++) {
            redis.execute("PUBLISH", "chat:room:" + room,
                    new JsonObject().put("type", "typing").put("room", room).put("user", "big-" + i).put("pad", filler).encode());
        }
    }

    @Test
    void aDeepReplayGoesAtTheClientsPaceAndNeverTripsTheSlowConsumerClose() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "deep-" + UUID.randomUUID().toString().substring(0, 8);
        int depth = 3000;
        // 3,000 messages of 4 KB in the room's log: 30 times the outbound limit of this profile, more than socket buffers hold.
        redis.execute("EVAL", """
                for i = 1, tonumber(ARGV[2]) do
                  local seq = redis.call('INCR', KEYS[1])
                  redis.call('XADD', KEYS[2], seq .. '-0', 'm', cjson.encode({type = 'message', room = ARGV[1], seq = seq,
                    from = 'history', text = 'old ' .. seq .. string.rep('x', 4000), ts = 1}), 't', 1)
                end
                """, "2", "chat:{" + room + "}:seq", "chat:{" + room + "}:log", room, Integer.toString(depth));
        try (ChatClient reader = ChatClient.connect(vertx, base, Tokens.forUser("reader"));
                ChatClient writer = ChatClient.connect(vertx, base, Tokens.forUser("writer"))) {
            reader.next("welcome");
            writer.next("welcome");
            writer.send(new JsonObject().put("type", "join").put("room", room));
            writer.next("joined");
            reader.send(new JsonObject().put("type", "join").put("room", room).put("since", 0));
            JsonObject joined = reader.next("joined");
            assertEquals(true, joined.getBoolean("recovered"));
            assertEquals(depth, joined.getLong("seq"));
            writer.send(new JsonObject().put("type", "send").put("room", room).put("text", "live").put("cid", "l1"));
            for (long seq = 1; seq <= depth + 1; seq++) {
                assertEquals(seq, reader.next("message").getLong("seq"), "the whole gap in order, then live");
            }
            org.junit.jupiter.api.Assertions.assertNull(reader.closeCode(), "not closed as a slow consumer");
        }
    }

    /** Reads frames until the joined frame has passed (the welcome first). */
    private static void awaitJoinedFrame(Socket socket) throws IOException {
        RawWebSocket.readUntil(new DataInputStream(socket.getInputStream()), "joined");
    }

    /** Drains whatever was queued and returns the close code. */
    private static int readUntilClose(Socket socket) throws IOException {
        return RawWebSocket.readUntilClose(new DataInputStream(socket.getInputStream()));
    }
}
