package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sockets that never finish a request need no token: the public port holds a bounded number of them, and none for long.
 * The production values (20,000 sockets, 75 s) made small here.
 */
@QuarkusTest
@TestProfile(SocketLimitsTest.SmallSocketLimits.class)
class SocketLimitsTest {

    public static class SmallSocketLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.limits.max-connections", "20", "quarkus.http.idle-timeout", "10S");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void socketsPastTheCapAreClosedAtOnceAndTheRestWhenSilentTooLong() throws Exception {
        List<SocketChannel> sockets = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < 30; i++) {
                SocketChannel socket = SocketChannel.open(new InetSocketAddress(base.getHost(), base.getPort()));
                socket.configureBlocking(false);
                socket.register(selector, SelectionKey.OP_READ, i);
                sockets.add(socket);
            }
            Set<Integer> closed = new HashSet<>();
            ByteBuffer buffer = ByteBuffer.allocate(64);
            await().atMost(Duration.ofSeconds(8)).until(() -> closedNow(selector, buffer, closed) >= 10);
            // Before the idle timeout, which would close every one of them: those within the cap are open (up to two
            // fewer while the server still counts the other test's sockets).
            assertTrue(closed.size() <= 12, "the 10 past the cap were closed at once, and not the rest: " + closed.size());
            await().atMost(Duration.ofSeconds(30)).until(() -> closedNow(selector, buffer, closed) == 30);
        } finally {
            for (SocketChannel socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aRequestThatNeverEndsLosesItsSocket() throws Exception {
        try (Socket stalled = new Socket(base.getHost(), base.getPort())) {
            stalled.getOutputStream().write("GET /rooms/lobby/messages?access_token=".getBytes(StandardCharsets.US_ASCII));
            stalled.setSoTimeout(1_000);
            assertThrows(SocketTimeoutException.class, () -> stalled.getInputStream().read(), "open while within the idle timeout");
            stalled.setSoTimeout(30_000);
            int read;
            try {
                read = stalled.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "closed without an answer");
        }
        // And the port still serves: an unauthenticated call is answered 401 (on a socket that then closes, so that
        // none is left over for the other test to count).
        try (Socket call = new Socket(base.getHost(), base.getPort())) {
            call.getOutputStream().write("GET /rooms/lobby/messages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new String(call.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
            assertTrue(status.startsWith("HTTP/1.1 401"), status);
        }
    }

    private static int closedNow(Selector selector, ByteBuffer buffer, Set<Integer> closed) throws Exception {
        selector.select(100);
        for (SelectionKey key : selector.selectedKeys()) {
            if (((SocketChannel) key.channel()).read(buffer.clear()) < 0) {
                closed.add((Integer) key.attachment());
                key.cancel();
            }
        }
        selector.selectedKeys().clear();
        return closed.size();
    }
}
