package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A half-open or silent client (it never answers the gateway's pings) is reaped, not kept forever. */
@QuarkusTest
// KeepAliveTest's short intervals (a ping within 3 s, closed after 4 s without a frame): a profile of its own would cost
// the module another build of the application.
@TestProfile(KeepAliveTest.ShortIntervals.class)
class SilentConnectionTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void aClientThatNeverAnswersPingsIsClosed() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            String request = "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Authorization: Bearer " + Tokens.forUser("silent") + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int newlines = 0;
            while (newlines < 2) {
                int c = in.read();
                newlines = c == '\n' ? newlines + 1 : c == '\r' ? newlines : 0;
            }
            int pings = 0;
            // Read (and never answer) until the gateway closes: a close frame, or the end of the stream.
            while (true) {
                int opcode;
                byte[] payload;
                try {
                    opcode = in.readUnsignedByte() & 0x0F;
                    long length = in.readUnsignedByte() & 0x7F;
                    if (length == 126) {
                        length = in.readUnsignedShort();
                    } else if (length == 127) {
                        length = in.readLong();
                    }
                    payload = new byte[(int) length];
                    in.readFully(payload);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the silent connection was never closed", e);
                } catch (EOFException | java.net.SocketException closedOrReset) {
                    break;
                }
                if (opcode == 9) {
                    pings++;
                }
                if (opcode == 8) {
                    assertEquals(1000, ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF));
                    break;
                }
            }
            assertTrue(pings > 0, "the gateway pinged before giving up");
        }
    }
}
