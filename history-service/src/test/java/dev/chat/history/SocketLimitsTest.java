package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.PipeliningClient;
import dev.chat.common.testing.SilentSockets;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Sockets that never finish a request need no token: the public port holds a bounded number of them, and none for long;
 * a client's pipelined requests are each answered in turn. The production values (20,000 sockets, 75 s) made small here.
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
        try (SilentSockets flood = SilentSockets.open(base, 30)) {
            await().atMost(Duration.ofSeconds(8)).until(() -> flood.closedByTheService() >= 10);
            // Before the idle timeout, which would close every one of them: those within the cap are open (up to two
            // fewer while the service still counts the other test's sockets).
            assertTrue(flood.closed().size() <= 12, "the 10 past the cap were closed at once, and not the rest: " + flood.closed());
            await().atMost(Duration.ofSeconds(30)).until(() -> flood.closedByTheService() == 30);
        }
    }

    @Test
    void pipelinedRequestsAreEachAnsweredInTurn() throws Exception {
        // A replay is answered once PostgreSQL has (here: no such room, 404): the requests behind it wait in the socket
        // (AnswerBeforeReading), then get their answers, none lost.
        PipeliningClient.assertEveryRequestIsAnswered(base, "GET /rooms/never-stored/messages HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + TestTokens.valid("piper") + "\r\n", 200, 404);
    }

    @Test
    void aRequestThatNeverEndsLosesItsSocket() throws Exception {
        SilentSockets.assertAnUnfinishedRequestIsClosedAfterItsIdleTimeout(base, "GET /rooms/lobby/messages?access_token=");
        // And the port still serves: an unauthenticated call is answered 401 (on a socket that then closes, so that
        // none is left over for the other test to count).
        try (Socket call = new Socket(base.getHost(), base.getPort())) {
            call.getOutputStream().write("GET /rooms/lobby/messages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new String(call.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines().findFirst().orElse("");
            assertTrue(status.startsWith("HTTP/1.1 401"), status);
        }
    }
}
