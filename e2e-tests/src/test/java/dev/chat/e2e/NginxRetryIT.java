package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * nginx (deploy/nginx) in front of a gateway that refuses every upgrade with 503, as a full or a
 * draining one does, and a gateway with room: every client still gets connected, on the second one,
 * because nginx passes the 503 on to the next gateway; and the access log never holds a token that
 * came in the {@code access_token} query parameter.
 */
class NginxRetryIT {

    static final RedisCli REDIS = RedisCli.shared();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static ServiceProcess full;
    static ServiceProcess open;
    static NginxProcess nginx;

    @BeforeAll
    static void startServices() {
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        // A cap of 0: every upgrade meets the "gateway full" refusal, the same 503 a draining gateway gives.
        full = ServiceProcess.gateway("retry-full-" + suffix, REDIS.url(), Map.of("CHAT_LIMITS_MAX_CONNECTIONS", "0"));
        open = ServiceProcess.gateway("retry-open-" + suffix, REDIS.url());
        ServiceProcess.startAll(full, open);
        // No history API in these tests: its upstream is pointed at the open gateway.
        nginx = NginxProcess.start(full.port, open.port, open.port);
    }

    @AfterAll
    static void stopServices() {
        for (AutoCloseable service : new AutoCloseable[] {nginx, full, open}) {
            try {
                if (service != null) {
                    service.close();
                }
            } catch (Exception e) {
                // Keep stopping the others.
            }
        }
    }

    @Test
    void aRefusedUpgradeIsRetriedOnTheNextGateway() {
        CompletionException refused = assertThrows(CompletionException.class, () -> upgrade(full.url() + "/chat", "direct-user"),
                "the full gateway itself refuses the upgrade");
        assertTrue(refused.getCause() instanceof WebSocketHandshakeException handshake && handshake.getResponse().statusCode() == 503,
                String.valueOf(refused.getCause()));

        List<WsClient> clients = new ArrayList<>();
        try {
            // Round-robin sends every other upgrade to the full gateway first: each must still succeed.
            for (int i = 0; i < 6; i++) {
                WsClient client = WsClient.connect("retry-user-" + i, nginx.url());
                clients.add(client);
                assertEquals(open.name, client.node, "client " + i + " landed on the gateway with room");
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void theAccessLogKeepsNoQueryStringToken() throws Exception {
        String token = Tokens.forUser("query-token-user");
        WebSocket socket = upgrade(nginx.url() + "/chat?access_token=" + token, null);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        // nginx logs a WebSocket request when its tunnel closes.
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(NginxProcess.accessLog())
                && Files.readString(NginxProcess.accessLog()).contains("GET /chat "));
        String log = Files.readString(NginxProcess.accessLog());
        assertFalse(log.contains(token), "the token is in " + NginxProcess.accessLog());
        assertFalse(log.contains("access_token"), "a query string is in " + NginxProcess.accessLog());
    }

    /** A WebSocket upgrade to {@code url} (http://...), with a bearer token for {@code user} unless null. */
    private static WebSocket upgrade(String url, String user) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (user != null) {
            builder.header("Authorization", "Bearer " + Tokens.forUser(user));
        }
        return builder.buildAsync(URI.create(url.replaceFirst("^http", "ws")), new WebSocket.Listener() { })
                .orTimeout(15, TimeUnit.SECONDS).join();
    }
}
