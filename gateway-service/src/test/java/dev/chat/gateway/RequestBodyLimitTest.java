package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Request bodies are read whole before a resource runs, also on paths that need no token: one larger than
 * {@code quarkus.http.limits.max-body-size} (64 KiB) is refused with 413 before it is read, and the gateway goes on
 * serving.
 */
@QuarkusTest
class RequestBodyLimitTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    /** The status line's code for a POST announcing {@code length} bytes of body, of which none is sent. */
    int statusOfAPostAnnouncing(String path, long length, String headers) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + length
                    + "\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertTrue(statusLine != null && statusLine.startsWith("HTTP/1.1 "), "a status line: " + statusLine);
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }

    @Test
    void aTenMegabyteLoginBodyWithoutATokenIsRefusedBeforeItIsRead() throws Exception {
        assertEquals(413, statusOfAPostAnnouncing("/dev/login", 10L * 1024 * 1024, ""));
        try (ChatClient client = ChatClient.welcomed(vertx, base, "after-a-big-body")) {
            assertTrue(client.closeCode() == null, "the gateway still serves");
        }
    }

    @Test
    void anAuthenticatedPublishBodyAboveTheLimitIsRefusedBeforeItIsRead() throws Exception {
        assertEquals(413, statusOfAPostAnnouncing("/rooms/body-limit/messages", 64 * 1024 + 1,
                "Authorization: Bearer " + Tokens.service("body-limit-bot") + "\r\n"));
    }
}
