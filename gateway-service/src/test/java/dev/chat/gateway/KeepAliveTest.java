package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The gateway pings each connection once per ping interval, at a point of the interval set by the connection, so
 * connections that came together are not pinged together; a client that only listens but answers the pings is kept.
 */
@QuarkusTest
@TestProfile(KeepAliveTest.ShortIntervals.class)
class KeepAliveTest {

    static final Duration PING_INTERVAL = Duration.ofSeconds(3);
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);

    public static class ShortIntervals implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.limits.ping-interval", PING_INTERVAL.toMillis() + "ms",
                    "chat.limits.idle-timeout", IDLE_TIMEOUT.toMillis() + "ms", "chat.limits.idle-check-interval", "500ms",
                    // FragmentedMessagesTest, which shares this profile.
                    "chat.limits.fragmented-message-timeout", FragmentedMessagesTest.FRAGMENTED_MESSAGE_TIMEOUT.toMillis() + "ms");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void connectionsOpenedTogetherArePingedAtPointsSpreadOverTheInterval() throws Exception {
        List<Listener> listeners = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                listeners.add(Listener.open(base, "keepalive-" + i));
            }
            long opened = listeners.get(listeners.size() - 1).opened - listeners.get(0).opened;
            await().atMost(Duration.ofSeconds(20)).until(() -> listeners.stream().allMatch(l -> l.firstPing > 0));

            List<Long> firstPings = new ArrayList<>();
            for (Listener listener : listeners) {
                long wait = listener.firstPing - listener.opened;
                assertTrue(wait <= PING_INTERVAL.toNanos() + TimeUnit.SECONDS.toNanos(2),
                        "first pinged within one interval (and a tick) of opening, not after " + TimeUnit.NANOSECONDS.toMillis(wait) + " ms");
                firstPings.add(listener.firstPing);
            }
            // Pings go out once a second, each to the connections whose turn it is: those opened together fall on
            // several of those ticks. Pinged from their opening, they would come in one burst as long as the opening.
            firstPings.sort(null);
            int bursts = 1;
            for (int i = 1; i < firstPings.size(); i++) {
                if (firstPings.get(i) - firstPings.get(i - 1) > TimeUnit.MILLISECONDS.toNanos(400)) {
                    bursts++;
                }
            }
            assertTrue(bursts >= 2, "connections opened within " + TimeUnit.NANOSECONDS.toMillis(opened)
                    + " ms were all pinged in one burst");
        } finally {
            for (Listener listener : listeners) {
                listener.close();
            }
        }
    }

    @Test
    void aClientThatOnlyListensButAnswersPingsOutlivesTheIdleTimeout() throws Exception {
        try (Listener listener = Listener.open(base, "listener")) {
            // Three pings take at least two intervals, longer than the idle timeout: only the pongs kept it open.
            await().atMost(Duration.ofSeconds(30)).until(() -> listener.pings.get() >= 3 || listener.closeCode != null);
            assertNull(listener.closeCode, "closed although it answered every ping");
            assertTrue(System.nanoTime() - listener.opened > IDLE_TIMEOUT.toNanos());

            listener.send(new JsonObject().put("type", "ping").put("cid", "still-here"));
            JsonObject pong = listener.texts.poll(5, TimeUnit.SECONDS);
            assertEquals("pong", pong == null ? null : pong.getString("type"));
            assertEquals("still-here", pong.getString("cid"));
        }
    }

    /** A client on a raw socket that answers every ping, notes when the first came, and queues text frames. */
    static final class Listener implements AutoCloseable {
        final long opened = System.nanoTime();
        final AtomicInteger pings = new AtomicInteger();
        final BlockingQueue<JsonObject> texts = new LinkedBlockingQueue<>();
        volatile long firstPing = -1;
        volatile Integer closeCode;
        private final Socket socket;
        private final OutputStream out;

        private Listener(Socket socket) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
        }

        static Listener open(URI base, String user) throws IOException, InterruptedException {
            Listener listener = new Listener(new Socket(base.getHost(), base.getPort()));
            RawWebSocket.upgrade(listener.socket, Tokens.forUser(user));
            DataInputStream in = new DataInputStream(listener.socket.getInputStream());
            // Reading from the upgrade on: a ping may come before the welcome.
            Thread reader = new Thread(() -> listener.read(in), "listener-" + user);
            reader.setDaemon(true);
            reader.start();
            JsonObject welcome = listener.texts.poll(10, TimeUnit.SECONDS);
            assertEquals("welcome", welcome == null ? null : welcome.getString("type"));
            return listener;
        }

        private void read(DataInputStream in) {
            try {
                while (true) {
                    RawWebSocket.Frame frame = RawWebSocket.Frame.read(in);
                    switch (frame.opcode()) {
                        case 0x9 -> {
                            if (pings.incrementAndGet() == 1) {
                                firstPing = System.nanoTime();
                            }
                            synchronized (out) {
                                RawWebSocket.sendPong(out, frame.payload());
                            }
                        }
                        case 0x1 -> texts.add(new JsonObject(frame.text()));
                        case 0x8 -> {
                            closeCode = frame.closeCode();
                            return;
                        }
                        default -> {
                        }
                    }
                }
            } catch (IOException closed) {
                if (closeCode == null) {
                    closeCode = -1;
                }
            }
        }

        void send(JsonObject frame) throws IOException {
            synchronized (out) {
                RawWebSocket.sendText(out, frame.encode());
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
