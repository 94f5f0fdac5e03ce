package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.presence.CrashedGatewaySweep;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A gateway that crashes closes nobody's connection: a live gateway then does for its users what the crashed one's closes
 * would have done, last-seen time and {@code user.offline} included, dated at the entries' last refresh.
 */
@QuarkusTest
class CrashedGatewaySweepTest {

    static final long TTL_MS = 30_000;

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    NodeName node;

    @Inject
    CrashedGatewaySweep sweep;

    String suffix;

    @BeforeEach
    void setUp() {
        redis.execute("SET", RoomKeys.GENERATION, "test", "NX");
        suffix = UUID.randomUUID().toString().substring(0, 6);
    }

    @Test
    void aCrashedGatewaysUsersAreSeenOfflineAtTheirLastRefresh() {
        String ghost = "ghost-" + suffix;
        String alone = "alone-" + suffix;
        String elsewhere = "elsewhere-" + suffix;
        long lastRefresh = System.currentTimeMillis() - 2 * TTL_MS;
        long expired = lastRefresh + TTL_MS;
        // What a gateway that stopped heartbeating a minute ago leaves in Redis.
        redis.execute("ZADD", RoomKeys.GATEWAYS, Long.toString(expired), ghost);
        redis.execute("SADD", RoomKeys.gatewayUsers(ghost), alone, elsewhere);
        redis.execute("ZADD", RoomKeys.online(alone), Long.toString(expired), ghost);
        redis.execute("ZADD", RoomKeys.online(elsewhere), Long.toString(expired), ghost);
        redis.execute("ZADD", RoomKeys.online(elsewhere), Long.toString(System.currentTimeMillis() + TTL_MS), "alive-" + suffix);

        // Each heartbeat clears a few dead gateways (others' test runs may have left some): until this one is gone.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            sweep.sweepDead().await().atMost(Duration.ofSeconds(10));
            return redis.execute("ZSCORE", RoomKeys.GATEWAYS, ghost) == null;
        });

        assertNull(redis.execute("ZSCORE", RoomKeys.online(alone), ghost), "the crashed gateway's entry is gone");
        assertEquals(lastRefresh, redis.execute("GET", RoomKeys.lastSeen(alone)).toLong(), "last seen at the last refresh");
        assertTrue(offlineEvent(alone, lastRefresh), "user.offline for " + alone);

        assertNull(redis.execute("ZSCORE", RoomKeys.online(elsewhere), ghost));
        assertEquals(1, redis.execute("ZCARD", RoomKeys.online(elsewhere)).toInteger(), "still online on the live gateway");
        assertFalse(offlineEvent(elsewhere, lastRefresh), "no user.offline for a user still online elsewhere");
        assertEquals(0, redis.execute("EXISTS", RoomKeys.gatewayUsers(ghost)).toInteger(), "the crashed gateway's users set is gone");
    }

    @Test
    void aRestartUnderTheSameNameClearsWhatThePreviousProcessLeftAndKeepsItsOwnUsers() {
        String stale = "stale-" + suffix;
        String fresh = "fresh-" + suffix;
        // The previous process of this name refreshed `stale` a minute ago and crashed; `fresh` connected to this one.
        long lastRefresh = System.currentTimeMillis() - 2 * TTL_MS;
        redis.execute("SADD", RoomKeys.gatewayUsers(node.name()), stale);
        redis.execute("ZADD", RoomKeys.online(stale), Long.toString(lastRefresh + TTL_MS), node.name());
        try (ChatClient client = ChatClient.welcomed(vertx, base, fresh)) {
            assertEquals(1, redis.execute("SISMEMBER", RoomKeys.gatewayUsers(node.name()), fresh).toInteger(), "a connected user is in its gateway's set");

            // The sweep a start runs, with the cutoff of this process's start.
            sweep.sweepPreviousProcess().await().atMost(Duration.ofSeconds(10));

            assertNull(redis.execute("ZSCORE", RoomKeys.online(stale), node.name()));
            assertEquals(lastRefresh, redis.execute("GET", RoomKeys.lastSeen(stale)).toLong());
            assertTrue(offlineEvent(stale, lastRefresh));
            assertEquals(0, redis.execute("SISMEMBER", RoomKeys.gatewayUsers(node.name()), stale).toInteger());
            assertTrue(redis.execute("ZSCORE", RoomKeys.online(fresh), node.name()) != null, "this process's own user stays online");
            assertEquals(1, redis.execute("SISMEMBER", RoomKeys.gatewayUsers(node.name()), fresh).toInteger());
        }
        // Its own close takes the user out of the set.
        await().atMost(Duration.ofSeconds(5))
                .until(() -> redis.execute("SISMEMBER", RoomKeys.gatewayUsers(node.name()), fresh).toInteger() == 0);
        assertTrue(offlineEvent(fresh, -1), "user.offline from the close itself");
    }

    @Test
    void aGatewaysHeartbeatPutsBackInItsUsersSetWhoeverIsMissingFromIt() {
        String here = "here-" + suffix;
        try (ChatClient client = ChatClient.welcomed(vertx, base, here)) {
            // Another gateway took this one for dead during a long pause and deleted its set.
            redis.execute("DEL", RoomKeys.gatewayUsers(node.name()));

            sweep.heartbeat().await().atMost(Duration.ofSeconds(10));

            assertEquals(1, redis.execute("SISMEMBER", RoomKeys.gatewayUsers(node.name()), here).toInteger());
            assertTrue(redis.execute("ZSCORE", RoomKeys.GATEWAYS, node.name()).toLong() > System.currentTimeMillis(), "its heartbeat is ahead");
        }
    }

    @Test
    void aGatewayThatCameBackIsNotSweptAndOneClaimedByAnotherIsLeftAlone() {
        String back = "back-" + suffix;
        String user = "user-" + suffix;
        long future = System.currentTimeMillis() + TTL_MS;
        // Its heartbeat is current (it came back, or another gateway holds its claim's lease): nothing of it is touched.
        redis.execute("ZADD", RoomKeys.GATEWAYS, Long.toString(future), back);
        redis.execute("SADD", RoomKeys.gatewayUsers(back), user);
        redis.execute("ZADD", RoomKeys.online(user), Long.toString(future), back);

        sweep.sweepDead().await().atMost(Duration.ofSeconds(10));

        assertTrue(redis.execute("ZSCORE", RoomKeys.online(user), back) != null);
        assertEquals(1, redis.execute("SISMEMBER", RoomKeys.gatewayUsers(back), user).toInteger());
        redis.execute("ZREM", RoomKeys.GATEWAYS, back);
        redis.execute("DEL", RoomKeys.gatewayUsers(back), RoomKeys.online(user));
    }

    /** Whether chat:events holds a user.offline for {@code user} dated {@code ts} (any date if negative). */
    boolean offlineEvent(String user, long ts) {
        for (Response entry : redis.execute("XREVRANGE", RoomKeys.EVENTS, "+", "-", "COUNT", "500")) {
            Response fields = entry.get(1);
            String type = null;
            String who = null;
            String at = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                switch (fields.get(i).toString()) {
                    case "type" -> type = fields.get(i + 1).toString();
                    case "user" -> who = fields.get(i + 1).toString();
                    case "ts" -> at = fields.get(i + 1).toString();
                    default -> {
                    }
                }
            }
            if ("user.offline".equals(type) && user.equals(who) && (ts < 0 || Long.toString(ts).equals(at))) {
                return true;
            }
        }
        return false;
    }
}
