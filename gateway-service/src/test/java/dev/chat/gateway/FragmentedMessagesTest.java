package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A message may come in fragments, as RFC 6455 allows, but in at most 64 of them and within
 * {@code chat.limits.fragmented-message-timeout} of its first: fragments reach no rate limit until the message is
 * whole, so without these bounds a client could send continuation frames without end, or hold a message of up to the
 * message size open for good while it keeps the connection alive with pongs.
 */
@QuarkusTest
// KeepAliveTest's short intervals, with this test's fragmented-message timeout: a profile of its own would cost the
// module another build of the application.
@TestProfile(KeepAliveTest.ShortIntervals.class)
class FragmentedMessagesTest {

    static final Duration FRAGMENTED_MESSAGE_TIMEOUT = Duration.ofMillis(1500);

    @TestHTTPResource("/")
    URI base;

    Socket open(String user) throws IOException {
        Socket socket = new Socket(base.getHost(), base.getPort());
        socket.setSoTimeout(15_000);
        RawWebSocket.upgrade(socket, Tokens.forUser(user));
        RawWebSocket.readUntil(new DataInputStream(socket.getInputStream()), "welcome");
        return socket;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Reads until the gateway's close frame; returns its code and reason as "code reason". Fails if none comes within
     * 15 s (the gateway's keep-alive pings keep arriving, so a read alone would wait for good).
     */
    static String closeOf(DataInputStream in) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the connection was not closed within 15 s");
            }
            RawWebSocket.Frame frame = RawWebSocket.Frame.read(in);
            if (frame.opcode() == 8) {
                String reason = new String(frame.payload(), 2, frame.payload().length - 2, StandardCharsets.UTF_8);
                return frame.closeCode() + " " + reason;
            }
        }
    }

    @Test
    void aMessageInFourFragmentsIsReadAsOne() throws Exception {
        try (Socket socket = open("fragments-ok")) {
            OutputStream out = socket.getOutputStream();
            RawWebSocket.sendFragment(out, ascii("{\"type\":"), true, false);
            RawWebSocket.sendFragment(out, ascii("\"ping\","), false, false);
            RawWebSocket.sendFragment(out, new byte[0], false, false);
            RawWebSocket.sendFragment(out, ascii("\"cid\":\"whole\"}"), false, true);
            assertEquals("whole", RawWebSocket.readUntil(new DataInputStream(socket.getInputStream()), "pong").getString("cid"));
        }
    }

    @Test
    void emptyContinuationFramesWithoutEndCloseTheConnectionWith1009() throws Exception {
        try (Socket socket = open("fragments-flood")) {
            OutputStream out = socket.getOutputStream();
            RawWebSocket.sendFragment(out, ascii("{\"type\":"), true, false);
            try {
                for (int i = 0; i < 10_000; i++) {
                    RawWebSocket.sendFragment(out, new byte[0], false, false);
                }
            } catch (IOException closedEarly) {
                // the gateway closed before the last one: that is the point
            }
            String close = closeOf(new DataInputStream(socket.getInputStream()));
            assertTrue(close.startsWith("1009 "), close);
        }
    }

    @Test
    void aFragmentedMessageLeftOpenWhileTheClientKeepsTheConnectionAliveIsClosedWith1008() throws Exception {
        ScheduledExecutorService pongs = Executors.newSingleThreadScheduledExecutor();
        try (Socket socket = open("fragments-held")) {
            OutputStream out = socket.getOutputStream();
            RawWebSocket.sendFragment(out, ascii("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(60_000)), true, false);
            // Unsolicited pongs, within the ping rate: without the timeout they would keep this connection open for good.
            pongs.scheduleAtFixedRate(() -> {
                try {
                    RawWebSocket.sendPong(out, new byte[0]);
                } catch (IOException closed) {
                    pongs.shutdown();
                }
            }, 0, 500, TimeUnit.MILLISECONDS);
            String close = closeOf(new DataInputStream(socket.getInputStream()));
            assertTrue(close.startsWith("1008 ") && close.contains("fragmented"), close);
        } finally {
            pongs.shutdownNow();
        }
    }
}
