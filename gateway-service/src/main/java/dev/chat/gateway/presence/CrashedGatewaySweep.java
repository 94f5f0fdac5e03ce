package dev.chat.gateway.presence;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.NodeName;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A gateway that closes its users' last connections tells Redis when each was last seen and appends {@code user.offline}
 * (user-offline.lua). One that crashes tells nothing: its online entries only expire, and its users would keep the
 * last-seen time of an older visit, with no event for push-notification workers. So each gateway keeps the set of
 * users it holds online entries for, and its own heartbeat in {@link RoomKeys#GATEWAYS}; on every heartbeat, each
 * gateway looks for gateways whose heartbeat ran out, and the one that claims such a gateway (gives it a lease of one
 * TTL, gateway-claim.lua) clears its entries as its own close would have, with the time of their last refresh
 * (online-gone.lua), then removes it; a sweep that fails midway is taken up by whoever finds the lease run out. A gateway
 * restarted under the same name does the same for its previous process at start: entries refreshed before it started
 * are the previous process's.
 */
@ApplicationScoped
public class CrashedGatewaySweep {

    private static final LuaScript GONE = LuaScript.fromResource("scripts/online-gone.lua");
    private static final LuaScript CLAIM = LuaScript.fromResource("scripts/gateway-claim.lua");
    private static final LuaScript RELEASE = LuaScript.fromResource("scripts/gateway-release.lua");
    /** Users per SSCAN page, and so per pipeline of script calls. */
    static final int PAGE = 256;
    /** Gateways found dead that one heartbeat clears at most. */
    static final int GATEWAYS_PER_TICK = 8;

    private final ReactiveRedisDataSource redis;
    private final RedisLayout layout;
    private final PresenceRegistry presence;
    private final Vertx vertx;
    private final String node;
    private final long ttlMs;
    private final long heartbeatMs;
    private final String stream;
    private final String maxLength;
    /** Entries this process refreshed expire at or after this; earlier ones are a previous process's of the same name. */
    private final long ownCutoff;
    private final AtomicBoolean beating = new AtomicBoolean();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private long timer = -1;

    public CrashedGatewaySweep(ReactiveRedisDataSource redis, RedisLayout layout, PresenceRegistry presence, Vertx vertx, NodeName node,
            GatewayConfig config) {
        this.redis = redis;
        this.layout = layout;
        this.presence = presence;
        this.vertx = vertx;
        this.node = node.name();
        this.ttlMs = config.presence().ttl().toMillis();
        this.heartbeatMs = config.presence().heartbeatInterval().toMillis();
        this.stream = config.events().stream();
        this.maxLength = Integer.toString(config.events().maxLength());
        this.ownCutoff = System.currentTimeMillis() + ttlMs;
    }

    void start(@Observes StartupEvent event) {
        // The heartbeat first, so that no other gateway takes this name's expired score for a dead gateway and sweeps
        // the users connecting here; then the previous process's entries, retried while Redis is not there; the next
        // heartbeat's repair puts back in the set whoever connected meanwhile.
        heartbeat().onFailure().recoverWithNull()
                .chain(() -> sweepPreviousProcess().onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).atMost(20))
                .subscribe().with(v -> {
                }, e -> Log.warnf("Could not clear the online entries of a previous process named %s: %s", node, e.getMessage()));
        timer = vertx.setPeriodic(heartbeatMs, heartbeatMs, t -> tick());
    }

    void stop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
    }

    /** Clears the online entries a previous process of this gateway's name refreshed before this one started. Run at start. */
    public Uni<Void> sweepPreviousProcess() {
        return sweep(node, ownCutoff, false).invoke(cleared -> {
            if (cleared > 0) {
                Log.infof("Cleared %d online entries left by a previous process named %s", cleared, node);
            }
        }).replaceWithVoid();
    }

    /** The heartbeat, and a sweep of dead gateways unless one still runs: the two apart, so a long sweep never delays the heartbeat. */
    private void tick() {
        heartbeat().subscribe().with(v -> {
        }, e -> Log.warnf("Gateway heartbeat failed (%s); retrying at the next one", e.getMessage()));
        sweepDead().subscribe().with(v -> {
        }, e -> Log.warnf("Sweep of crashed gateways failed (%s); a claimed gateway is taken up again when its claim runs out",
                e.getMessage()));
    }

    /**
     * This gateway's heartbeat, and its users set made whole again where it fell short: a claim of this gateway during a
     * pause longer than the TTL deletes the set, and on a Redis Cluster an add and a remove of the same user may cross.
     * A set far larger than the users here (removes lost on a Redis Cluster) is written anew.
     */
    public Uni<Void> heartbeat() {
        if (!beating.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        String key = RoomKeys.gatewayUsers(node);
        return redis.execute("ZADD", RoomKeys.GATEWAYS, Long.toString(System.currentTimeMillis() + ttlMs), node)
                .chain(() -> redis.execute("SCARD", key))
                .chain(count -> {
                    List<String> users = presence.onlineHere();
                    long inSet = count.toLong();
                    if (inSet > 2L * users.size() + PAGE) {
                        return redis.execute("DEL", key).chain(() -> addUsers(key, users));
                    }
                    // On a Redis Cluster a stale user beside a missing one keeps the count: every user is added again.
                    return inSet < users.size() || layout.cluster() ? addUsers(key, users) : Uni.createFrom().voidItem();
                })
                // The reactive client has no deadline of its own: one unanswered command must not stop the heartbeat for good.
                .ifNoItem().after(Duration.ofMillis(heartbeatMs)).fail()
                .eventually(() -> beating.set(false));
    }

    private Uni<Void> addUsers(String key, List<String> users) {
        Uni<Void> all = Uni.createFrom().voidItem();
        for (int i = 0; i < users.size(); i += PAGE) {
            List<String> command = new ArrayList<>(PAGE + 1);
            command.add(key);
            command.addAll(users.subList(i, Math.min(users.size(), i + PAGE)));
            all = all.chain(() -> redis.execute("SADD", command.toArray(String[]::new)).replaceWithVoid());
        }
        return all;
    }

    /** Claims and clears up to {@link #GATEWAYS_PER_TICK} gateways whose heartbeat (or an earlier claim's lease) ran out. */
    public Uni<Void> sweepDead() {
        if (!sweeping.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        long now = System.currentTimeMillis();
        return redis.execute("ZRANGEBYSCORE", RoomKeys.GATEWAYS, "-inf", "(" + now, "LIMIT", "0", Integer.toString(GATEWAYS_PER_TICK))
                .chain(dead -> sweepDead(names(dead), 0))
                // Past this a claim's lease has run out and another gateway may take the sweep up: this one stops waiting.
                .ifNoItem().after(Duration.ofMillis(ttlMs)).fail()
                .eventually(() -> sweeping.set(false));
    }

    private Uni<Void> sweepDead(List<String> dead, int index) {
        if (index >= dead.size()) {
            return Uni.createFrom().voidItem();
        }
        String gone = dead.get(index);
        // Now for each claim: the sweeps before it may have taken a while.
        long now = System.currentTimeMillis();
        String lease = Long.toString(now + ttlMs);
        Uni<Void> one = gone.equals(node) ? Uni.createFrom().voidItem()
                : CLAIM.run(redis, List.of(RoomKeys.GATEWAYS), List.of(gone, Long.toString(now), lease)).chain(claimed -> claimed.toInteger() == 0
                        ? Uni.createFrom().voidItem() // another gateway claimed it, or it came back
                        : sweep(gone, now + ttlMs, true).invoke(cleared -> {
                            // A gateway that shut down cleanly closed its users itself: nothing to clear, nothing to say.
                            if (cleared > 0) {
                                Log.infof("Gateway %s stopped its heartbeat; cleared %d online entries it left", gone, cleared);
                            }
                        })
                                .chain(() -> redis.execute("DEL", RoomKeys.gatewayUsers(gone)))
                                .chain(() -> RELEASE.run(redis, List.of(RoomKeys.GATEWAYS), List.of(gone, lease)))
                                .replaceWithVoid());
        return one.chain(() -> sweepDead(dead, index + 1));
    }

    /**
     * Clears {@code gateway}'s online entries refreshed before {@code cutoff}, a page of its users set at a time, and
     * returns how many it cleared. A live gateway's set keeps the users it still holds; a dead one's is deleted after.
     */
    private Uni<Integer> sweep(String gateway, long cutoff, boolean dead) {
        return page(gateway, "0", cutoff, dead, 0);
    }

    private Uni<Integer> page(String gateway, String cursor, long cutoff, boolean dead, int clearedSoFar) {
        String key = RoomKeys.gatewayUsers(gateway);
        return redis.execute("SSCAN", key, cursor, "COUNT", Integer.toString(PAGE)).chain(reply -> {
            String next = reply.get(0).toString();
            List<String> users = names(reply.get(1));
            return clear(gateway, users, cutoff, dead).chain(cleared -> "0".equals(next)
                    ? Uni.createFrom().item(clearedSoFar + cleared)
                    : page(gateway, next, cutoff, dead, clearedSoFar + cleared));
        });
    }

    private Uni<Integer> clear(String gateway, List<String> users, long cutoff, boolean dead) {
        if (users.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        boolean cluster = layout.cluster();
        String now = Long.toString(System.currentTimeMillis());
        List<List<String>> keys = new ArrayList<>(users.size());
        List<List<String>> args = new ArrayList<>(users.size());
        for (String user : users) {
            if (cluster) {
                keys.add(List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), RoomKeys.lastSeen(user)));
            } else if (dead) {
                keys.add(List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), stream));
            } else {
                // A live process's own set: the user leaves it in the same step as the entry, unless kept.
                keys.add(List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), stream, RoomKeys.gatewayUsers(gateway)));
            }
            args.add(List.of(user, gateway, Long.toString(cutoff), Long.toString(ttlMs), now, maxLength, cluster ? "0" : "1"));
        }
        return GONE.runBatch(redis, keys, args).chain(replies -> {
            List<Uni<Response>> after = new ArrayList<>();
            List<String> released = new ArrayList<>();
            int cleared = 0;
            for (int i = 0; i < replies.size(); i++) {
                long outcome = replies.get(i).get(0).toLong();
                if (outcome != 1) {
                    released.add(users.get(i));
                }
                if (outcome >= 2) {
                    cleared++;
                }
                if (outcome == 3 && cluster) {
                    after.add(redis.execute("XADD", stream, "MAXLEN", "~", maxLength, "*", "type", "user.offline", "user", users.get(i),
                            "ts", replies.get(i).get(1).toString()));
                }
            }
            if (cluster && !dead && !released.isEmpty()) {
                // In another slot than the users' keys; a user who connects meanwhile is put back by the next heartbeat.
                List<String> command = new ArrayList<>(released.size() + 1);
                command.add(RoomKeys.gatewayUsers(gateway));
                command.addAll(released);
                after.add(redis.execute("SREM", command.toArray(String[]::new)));
            }
            int total = cleared;
            return after.isEmpty() ? Uni.createFrom().item(total) : Uni.join().all(after).andFailFast().replaceWith(total);
        });
    }

    private static List<String> names(Response list) {
        List<String> names = new ArrayList<>(list.size());
        for (Response name : list) {
            names.add(name.toString());
        }
        return names;
    }
}
