package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A gateway keeps the online status of every user connected to it alive: each heartbeat pushes each user's entry
 * forward, however many users share a script call (more than one call's worth here), and the script gives every key
 * it is handed the members and their lifetime.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class OnlineHeartbeatTest {

    static final LuaScript REFRESH = LuaScript.fromResource("scripts/presence-refresh.lua");
    /** More users than one heartbeat call takes. */
    static final int USERS = 70;

    public static class FastHeartbeat implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.presence.heartbeat-interval", "300ms");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Inject
    NodeName node;

    @Test
    void eachHeartbeatPushesEveryConnectedUsersEntryForward() {
        String run = UUID.randomUUID().toString().substring(0, 6);
        List<ChatClient> clients = new ArrayList<>();
        try {
            Map<String, Double> firstScores = new HashMap<>();
            for (int i = 0; i < USERS; i++) {
                String user = "hb" + run + "u" + i;
                clients.add(ChatClient.welcomed(vertx, base, user));
                firstScores.put(user, score(user));
            }
            firstScores.forEach((user, first) -> assertNotNull(first, user + " is online on this gateway once welcomed"));

            await().atMost(Duration.ofSeconds(10)).until(() -> firstScores.entrySet().stream()
                    .allMatch(entry -> score(entry.getKey()) > entry.getValue()));
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void theScriptGivesEveryKeyItIsHandedTheMembersAndTheirLifetime() {
        String run = UUID.randomUUID().toString().substring(0, 6);
        List<String> keys = List.of(RoomKeys.online("a" + run), RoomKeys.online("b" + run), RoomKeys.online("c" + run));
        long expiry = System.currentTimeMillis() + 30_000;

        Response reply = REFRESH.run(reactiveRedis, keys, List.of(Long.toString(expiry), "60000", "node-1", "node-2")).await().indefinitely();

        assertEquals(2, reply.toInteger(), "the members given");
        for (String key : keys) {
            for (String member : List.of("node-1", "node-2")) {
                Response score = redis.execute("ZSCORE", key, member);
                assertNotNull(score, member + " in " + key);
                assertEquals(expiry, score.toLong());
            }
            long ttl = redis.execute("PTTL", key).toLong();
            assertTrue(ttl > 0 && ttl <= 60_000, key + " lives as long as it was told: " + ttl);
        }
    }

    private Double score(String user) {
        Response score = redis.execute("ZSCORE", RoomKeys.online(user), node.name());
        return score == null ? null : score.toDouble();
    }
}
