package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis that speaks TLS only (rediss://), with a certificate from a private CA that the services
 * trust through the JVM trust store (javax.net.ssl.trustStore, as README "Redis, secured" says).
 * The server has no plain port at all, so every connection the services open, Quarkus's pooled
 * client, the gateway's subscriber and history's dedicated connections, can only have worked over
 * TLS, with the CA's certificate and the host name checked; a gateway without the trust store refuses
 * the certificate.
 */
class TlsRedisIT {

    static final String HOSTNAME_CHECK = "QUARKUS_REDIS_TLS_HOSTNAME_VERIFICATION_ALGORITHM";

    @TempDir
    static Path certificates;
    static OwnRedisServer redis;
    static ServiceProcess gateway;
    static ServiceProcess history;
    /** Has no trust store for the private CA: must refuse the server's certificate. */
    static ServiceProcess untrusting;

    @BeforeAll
    static void start() {
        TestCertificates certs = TestCertificates.create(certificates);
        redis = OwnRedisServer.startTls("tls-redis", certs);
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        // The certificate names 127.0.0.1, so the host name can be checked too (Quarkus's default is not to).
        gateway = ServiceProcess.gateway("tls-gateway-" + suffix, redis.url(), Map.of(HOSTNAME_CHECK, "HTTPS"))
                .withJvmOptions(certs.trustStoreOptions());
        history = ServiceProcess.history("tls-history-" + suffix, redis.url(), RedisCli.sharedDatabase())
                .with(HOSTNAME_CHECK, "HTTPS").withJvmOptions(certs.trustStoreOptions());
        untrusting = ServiceProcess.gateway("tls-untrusting-gateway-" + suffix, redis.url()).launch();
        ServiceProcess.startAll(gateway, history);
        history.awaitRoomsCanStart();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {gateway, history, untrusting, redis}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // Keep stopping the others.
            }
        }
    }

    @Test
    void theServicesReachRedisOnlyOverTls() throws IOException {
        assertTrue(redis.url().startsWith("rediss://"), redis.url());
        // No plain port is configured, and the TLS port does not answer plain RESP.
        assertEquals(List.of("port", "0"), redis.cli.run("CONFIG", "GET", "port"));
        assertEquals(List.of("tls-port", Integer.toString(redis.port)), redis.cli.run("CONFIG", "GET", "tls-port"));
        assertFalse(plainPingAnswered(redis.port), "the TLS port answered a plain PING");
    }

    @Test
    void messagesFlowInOrderThroughTheSubscriberAndIntoHistory() {
        String room = "tls-" + UUID.randomUUID().toString().substring(0, 8);
        try (WsClient alice = WsClient.connect("alice", gateway.url()); WsClient bob = WsClient.connect("bob", gateway.url())) {
            alice.join(room);
            bob.join(room);
            alice.send(WsClient.frame("send").put("room", room).put("text", "first over TLS").put("cid", "t-1"));
            long first = alice.next("ack").path("seq").asLong();
            alice.send(WsClient.frame("send").put("room", room).put("text", "second over TLS").put("cid", "t-2"));
            long second = alice.next("ack").path("seq").asLong();
            assertTrue(first < second, "acks out of order: " + first + ", " + second);
            // Fanned out through the gateway's own subscriber connection, in order.
            List<ObjectNode> atBob = bob.messages(room, 2);
            assertEquals(List.of(first, second), atBob.stream().map(m -> m.path("seq").asLong()).toList());
            assertEquals(List.of("first over TLS", "second over TLS"), atBob.stream().map(m -> m.path("text").asText()).toList());
            // Stored by history, which follows Redis on dedicated connections of its own.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(List.of(first, second), HistoryApi.seqs(history, room, "bob")));
            List<String> clients = redis.cli.run("CLIENT", "LIST");
            assertTrue(clients.stream().anyMatch(c -> c.contains(" name=chat-gateway-sub-") && !c.contains(" sub=0 ")),
                    "the gateway's subscriber connection, holding the room's channel: " + clients);
        }
        List<String> clients = redis.cli.run("CLIENT", "LIST");
        assertTrue(clients.stream().anyMatch(c -> c.contains(" name=chat-history-") && !c.contains(" name=chat-history-activity-")),
                "history's room traffic connection: " + clients);
        assertTrue(clients.stream().anyMatch(c -> c.contains(" name=chat-history-activity-")), "history's activity consumer: " + clients);
    }

    @Test
    void bothServicesAreReady() {
        for (ServiceProcess service : List.of(gateway, history)) {
            JsonNode ready = HistoryApi.json(service.management("/q/health/ready").body());
            assertEquals("UP", ready.path("status").asText(), service.name + ": " + ready);
        }
        JsonNode gatewayReady = HistoryApi.json(gateway.management("/q/health/ready").body());
        assertTrue(gatewayReady.path("checks").findValuesAsText("name").contains("redis-subscriber"), gatewayReady.toString());
    }

    @Test
    void aServiceWithoutTheCaRefusesTheCertificateAndIsNotReady() {
        Path log = ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs/" + untrusting.name + ".log");
        await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(log) && Files.readString(log).contains("PKIX path building failed"));
        assertTrue(untrusting.isAlive(), untrusting.name + " exited");
        int status = await().atMost(Duration.ofSeconds(30)).until(untrusting::readyStatus, answered -> answered != -1);
        assertEquals(503, status, "ready without trusting Redis's certificate");
    }

    /** Whether a plain-text PING on the port gets a PONG (it must not: the port speaks TLS only). */
    private static boolean plainPingAnswered(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[64];
            int read = in.read(reply);
            return read > 0 && new String(reply, 0, read, StandardCharsets.US_ASCII).contains("PONG");
        } catch (java.net.SocketTimeoutException | java.net.SocketException closedOrSilent) {
            return false;
        }
    }
}
