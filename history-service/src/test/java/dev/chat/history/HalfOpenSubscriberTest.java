package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.FreezingProxy;
import dev.chat.history.ingest.RoomTrafficSubscriber;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A subscriber connection that a NAT or load balancer left half-open (both ends open, nothing passes) is found by its
 * pings and replaced, and what was published while it was silent is stored. History reaches Redis through a proxy
 * that freezes only that connection.
 */
@QuarkusTest
@TestProfile(HalfOpenSubscriberTest.ThroughAProxy.class)
class HalfOpenSubscriberTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    public static class ThroughAProxy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The socket settings too: each must be a key the service's configuration knows, or start-up refuses it.
            return Map.of("chat.subscriber.ping-interval", "200ms", "chat.redis-tcp-user-timeout", "20s",
                    "chat.database-tcp-user-timeout", "20s");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(ProxiedRedis.class));
        }
    }

    public static class ProxiedRedis implements QuarkusTestResourceLifecycleManager {
        static FreezingProxy proxy;

        @Override
        public Map<String, String> start() {
            proxy = FreezingProxy.to(6379);
            return Map.of("quarkus.redis.hosts", "redis://127.0.0.1:" + proxy.port());
        }

        @Override
        public void stop() {
            proxy.close();
        }
    }

    @Inject
    RedisDataSource redis;

    @Inject
    RoomTrafficSubscriber subscriber;

    @Test
    void aHalfOpenSubscriberConnectionIsReplacedAndWhatCameMeanwhileIsStored() {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        List<String> before = RedisClients.idsNamed(redis, subscriber.clientName());
        assertEquals(1, before.size(), "one subscriber connection in CLIENT LIST");

        assertEquals(1, ProxiedRedis.proxy.freezeWhere(subscriber.clientName()), "the subscriber's connection is frozen");
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("half-open");
        gateway.publish(room, 1, "alice", "published into a half-open connection");

        await().atMost(WAIT).untilAsserted(() -> {
            List<String> now = RedisClients.idsNamed(redis, subscriber.clientName());
            now.removeAll(before);
            assertEquals(1, now.size(), "a new subscriber connection");
        });
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1))));
        gateway.publish(room, 2, "alice", "published after the new connection");
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2))));
        assertTrue(ProxiedRedis.proxy.passingConnectionsWhere(subscriber.clientName()) == 1, "one live subscriber connection");
    }


    private static String check(String name) {
        return Management.given().get("/q/health/group/ingest").jsonPath().getString("checks.find { it.name == '" + name + "' }.status");
    }
}
