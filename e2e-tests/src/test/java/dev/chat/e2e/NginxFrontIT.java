package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The deployment shape of deploy/local/run.sh and docker-compose: nginx, configured from
 * deploy/nginx/ (the same template and routes), round-robins WebSocket clients over two real gateway
 * processes, and clients that landed on different gateways ({@code welcome.node}) talk to each other
 * through it; the history API answers through it too, and /q/* (health, metrics) does not.
 */
@ExtendWith(SharedSystem.Provider.class)
class NginxFrontIT {

    /**
     * HTTP/1.1: the JDK client's default (HTTP/2) asks plain-http servers for an h2c upgrade, which
     * deploy/nginx passes on to the service like a WebSocket upgrade, and the request then hangs.
     */
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static NginxProcess nginx;

    @BeforeAll
    static void startNginx(SharedSystem system) {
        history = system.history;
        gatewayA = system.gatewayA;
        gatewayB = system.gatewayB;
        nginx = NginxProcess.start(gatewayA, gatewayB, history);
    }

    @AfterAll
    static void stopNginx() {
        if (nginx != null) {
            nginx.close();
        }
    }

    @Test
    void clientsOnDifferentGatewaysBehindNginxTalkToEachOther() throws Exception {
        String room = "front-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, WsClient> byNode = new HashMap<>();
        List<WsClient> opened = new ArrayList<>();
        try {
            // Round-robin: a few connections through nginx reach both gateways.
            for (int i = 0; i < 10 && byNode.size() < 2; i++) {
                WsClient client = WsClient.connect("front-user-" + i, nginx.url());
                opened.add(client);
                byNode.putIfAbsent(client.node, client);
            }
            assertEquals(Set.of(gatewayA.name, gatewayB.name), byNode.keySet(), "nginx spread the clients over both gateways");
            WsClient onA = byNode.get(gatewayA.name);
            WsClient onB = byNode.get(gatewayB.name);
            onA.join(room);
            onB.join(room);

            onA.send(WsClient.frame("send").put("room", room).put("text", "from A").put("cid", "a-1"));
            long seqFromA = onA.next("ack").path("seq").asLong();
            ObjectNode atB = onB.messages(room, 1).get(0);
            assertEquals(seqFromA, atB.path("seq").asLong());
            assertEquals(onA.user, atB.path("from").asText());
            assertEquals("from A", atB.path("text").asText());

            onB.send(WsClient.frame("send").put("room", room).put("text", "from B").put("cid", "b-1"));
            long seqFromB = onB.next("ack").path("seq").asLong();
            assertEquals(seqFromA + 1, seqFromB);
            ObjectNode atA = onA.messages(room, 2).get(1);
            assertEquals(seqFromB, atA.path("seq").asLong());
            assertEquals(onB.user, atA.path("from").asText());
            assertNotEquals(onA.node, onB.node);

            // The replay API is routed to the history service.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> page = get("/rooms/" + room + "/messages?after=0", onA.user);
                assertEquals(200, page.statusCode(), page.body());
                JsonNode messages = WsClient.JSON.readTree(page.body()).path("messages");
                assertEquals(2, messages.size(), page.body());
                assertEquals("from A", messages.get(0).path("text").asText());
                assertEquals("from B", messages.get(1).path("text").asText());
            });
            // Health and metrics are on the services' management ports only: nginx exposes neither.
            assertEquals(404, get("/q/health/ready", null).statusCode());
            assertEquals(404, get("/q/metrics", null).statusCode());
            assertEquals(200, gatewayA.management("/q/health/ready").statusCode());
            assertTrue(get("/chat", null).statusCode() >= 400, "an upgrade without a token is refused through nginx too");
        } finally {
            opened.forEach(WsClient::close);
        }
    }

    @Test
    void aPublishWithALargeBodyAndALargeHistoryPagePassThroughNginx() throws Exception {
        String room = "front-large-" + UUID.randomUUID().toString().substring(0, 8);
        // 4,000 characters, each escaped as \\uXXXX by the backend's JSON encoder: 24 KB, above nginx's default buffer.
        String text = "\u00e9".repeat(4000);
        StringBuilder body = new StringBuilder("{\"text\":\"");
        for (int i = 0; i < 4000; i++) {
            body.append("\\u00e9");
        }
        body.append("\"}");
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(URI.create(nginx.url() + "/rooms/" + room + "/messages"))
                    .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + Tokens.forService("front-backend"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, posted.statusCode(), posted.body());
        }
        // 20 messages of 8 KB of UTF-8 each: a page of about 160 KB, also above nginx's buffers.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> page = get("/rooms/" + room + "/messages?after=0&limit=20", "front-reader");
            assertEquals(200, page.statusCode(), page.body().length() > 300 ? page.body().substring(0, 300) : page.body());
            JsonNode messages = WsClient.JSON.readTree(page.body()).path("messages");
            assertEquals(20, messages.size());
            assertEquals(text, messages.get(19).path("text").asText());
        });
    }

    private static HttpResponse<String> get(String path, String user) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(nginx.url() + path)).timeout(Duration.ofSeconds(10));
        if (user != null) {
            request.header("Authorization", "Bearer " + Tokens.forUser(user));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
