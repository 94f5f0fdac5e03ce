package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A gateway's SIGTERM, in the order a load balancer and a backend need it: readiness goes DOWN for the drain notice
 * before any client is told to reconnect, and a REST publish still in flight when the drain has ended gets its answer
 * before the server closes, instead of a reset connection.
 */
class GatewayShutdownIT {

    private static final Duration NOTICE = Duration.ofSeconds(3);

    static ServiceProcess gateway;

    @BeforeAll
    static void start() {
        RedisCli redis = RedisCli.shared();
        redis.run("SET", "chat:generation", "gateway-shutdown-it", "NX");
        gateway = ServiceProcess.gateway("gateway-shutdown", redis.url(),
                Map.of("CHAT_SHUTDOWN_DELAY", NOTICE.toSeconds() + "s", "CHAT_DRAIN_TIMEOUT", "3s"));
        ServiceProcess.startAll(gateway);
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.stop();
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void readinessGoesDownBeforeClientsAreToldToLeaveAndAPublishInFlightIsAnswered() throws Exception {
        String room = "shutdown-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] body = "{\"text\":\"posted while the gateway stops\"}".getBytes(StandardCharsets.UTF_8);
        try (WsClient client = WsClient.connect("shutdown-watcher", gateway.url());
                Socket backend = new Socket("127.0.0.1", Integer.parseInt(gateway.url().replaceFirst(".*:", "")))) {
            client.join(room);
            // A backend's publish whose body is still on its way: in flight from the server's point of view.
            OutputStream out = backend.getOutputStream();
            out.write(("POST /rooms/" + room + "/messages HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + Tokens.forService("backend") + "\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, 5);
            out.flush();
            long logFrom = gateway.logLength();

            gateway.terminate();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> gateway.readyStatus() == 503);
            long down = System.nanoTime();
            JsonNode reconnect = client.next("reconnect");
            long told = System.nanoTime();
            assertEquals("shutdown", reconnect.path("reason").asText(), "reconnect frame: " + reconnect);
            assertTrue(told - down >= NOTICE.toNanos() / 2, "told to reconnect " + TimeUnit.NANOSECONDS.toMillis(told - down)
                    + " ms after readiness went DOWN; the notice is " + NOTICE.toMillis() + " ms");

            // The drain is over and the HTTP server is closing: the request in flight is finished, then answered.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                    .until(() -> gateway.logShowsAfter(logFrom, "Waiting for HTTP requests to complete"));
            out.write(body, 5, body.length - 5);
            out.flush();
            backend.setSoTimeout(10_000);
            String answer = readAnswer(backend.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200"), "the publish in flight is answered: " + answer);
            assertTrue(answer.contains("\"room\":\"" + room + "\"") && answer.contains("\"seq\":1"), answer);
        }
        assertTrue(gateway.awaitExit(Duration.ofSeconds(30)), "the gateway exits after its drain");
    }

    /** The response's head and its body (the JSON is small and comes whole; the socket closes or times out after it). */
    private static String readAnswer(InputStream in) throws java.io.IOException {
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = in.read(buffer)) > 0) {
            answer.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            if (answer.indexOf("\r\n\r\n") > 0 && answer.charAt(answer.length() - 1) == '}') {
                break;
            }
        }
        return answer.toString();
    }
}
