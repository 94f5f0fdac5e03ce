package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis as a platform team runs it: a password on the default user, an ACL user for the chat, and a
 * memory policy that may evict. Both services log in as the user of QUARKUS_REDIS_HOSTS with the
 * password of QUARKUS_REDIS_PASSWORD (a Secret) on every connection they open, the dedicated
 * subscriber and consumer connections included; and both say, in their log and in readiness, that an
 * allkeys-lru Redis may evict what they rely on. A user that may not run CONFIG (as on a managed
 * Redis) gets a readiness note that the policy could not be checked.
 */
class SecuredRedisIT {

    static final String ADMIN_PASSWORD = "admin-" + UUID.randomUUID();
    static final String CHAT_PASSWORD = "chat-" + UUID.randomUUID();
    static OwnRedisServer redis;
    static ServiceProcess gateway;
    static ServiceProcess limitedGateway;
    static ServiceProcess history;

    @BeforeAll
    static void start() {
        redis = OwnRedisServer.start("secured-redis", List.of("--requirepass", ADMIN_PASSWORD, "--maxmemory-policy", "allkeys-lru",
                "--user", "chat", "on", ">" + CHAT_PASSWORD, "~*", "&*", "+@all",
                "--user", "limited", "on", ">" + CHAT_PASSWORD, "~*", "&*", "+@all", "-config"));
        String asChat = "redis://127.0.0.1:" + redis.port + "?user=chat";
        Map<String, String> password = Map.of("QUARKUS_REDIS_PASSWORD", CHAT_PASSWORD);
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        gateway = ServiceProcess.gateway("secured-gateway-" + suffix, asChat, password);
        limitedGateway = ServiceProcess.gateway("limited-gateway-" + suffix, "redis://127.0.0.1:" + redis.port + "?user=limited", password);
        history = ServiceProcess.history("secured-history-" + suffix, asChat, RedisCli.sharedDatabase())
                .with("QUARKUS_REDIS_PASSWORD", CHAT_PASSWORD);
        ServiceProcess.startAll(gateway, limitedGateway, history);
        history.awaitRoomsCanStart();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {gateway, limitedGateway, history, redis}) {
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
    void everyConnectionLogsInAndMessagesFlowToHistory() {
        String room = "secured-" + UUID.randomUUID().toString().substring(0, 8);
        try (WsClient alice = WsClient.connect("alice", gateway.url()); WsClient bob = WsClient.connect("bob", gateway.url())) {
            alice.join(room);
            bob.join(room);
            alice.send(WsClient.frame("send").put("room", room).put("text", "over a password").put("cid", "s-1"));
            long seq = alice.next("ack").path("seq").asLong();
            // Delivered through the gateway's own subscriber connection, which had to log in too.
            ObjectNode atBob = bob.messages(room, 1).get(0);
            assertEquals(seq, atBob.path("seq").asLong());
            // Stored by history, which follows Redis on dedicated connections of its own.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                List<JsonNode> stored = HistoryApi.all(history, room, "alice");
                assertEquals(1, stored.size());
                assertEquals("over a password", stored.get(0).path("text").asText());
            });
        }
        List<String> clients = redis.cli.run("--no-auth-warning", "-a", ADMIN_PASSWORD, "CLIENT", "LIST");
        // A connection that has sent no command yet (cmd=NULL: just accepted, AUTH still on its way) has not acted as anyone.
        List<String> ours = clients.stream().filter(c -> !c.contains("cmd=client|list") && !c.contains(" cmd=NULL ")).toList();
        assertTrue(ours.size() >= 4, "the services' connections: " + clients);
        for (String client : ours) {
            assertTrue(client.contains(" user=chat ") || client.contains(" user=limited "), "a connection as another user: " + client);
        }
        assertTrue(ours.stream().anyMatch(c -> c.contains("cmd=subscribe") || c.contains("cmd=psubscribe")), "a subscriber logged in: " + ours);
    }

    @Test
    void readinessAndTheLogWarnThatRedisMayEvict() throws Exception {
        for (ServiceProcess service : List.of(gateway, history)) {
            JsonNode check = memoryPolicyCheck(service);
            assertEquals("UP", check.path("status").asText(), "a risk, not an outage: " + check);
            assertEquals("allkeys-lru", check.path("data").path("policy").asText(), check.toString());
            assertTrue(check.path("data").path("warning").asText().contains("noeviction"), check.toString());
            String log = Files.readString(ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs/" + service.name + ".log"));
            assertTrue(log.contains("WARN") && log.contains("maxmemory-policy is allkeys-lru"), service.name + " logged no warning");
        }
    }

    @Test
    void aUserWithoutConfigRightsIsToldThePolicyIsUnknown() {
        JsonNode check = memoryPolicyCheck(limitedGateway);
        assertEquals("UP", check.path("status").asText(), check.toString());
        assertEquals("unknown", check.path("data").path("policy").asText(), check.toString());
        assertTrue(check.path("data").path("warning").asText().contains("noeviction"), check.toString());
        assertFalse(check.path("data").path("warning").asText().contains("allkeys-lru"), check.toString());
    }

    /** The named readiness check, once the start-up check has answered. */
    private static JsonNode memoryPolicyCheck(ServiceProcess service) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode ready = HistoryApi.json(service.management("/q/health/ready").body());
            for (JsonNode check : ready.path("checks")) {
                if ("redis-memory-policy".equals(check.path("name").asText())) {
                    return check;
                }
            }
            throw new AssertionError(service.name + " readiness has no redis-memory-policy check: " + ready);
        }, check -> !"unchecked".equals(check.path("data").path("policy").asText()));
    }
}
