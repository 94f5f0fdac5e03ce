package dev.chat.gateway.presence;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.NodeName;
import dev.chat.gateway.publish.LuaScript;
import dev.chat.gateway.publish.RoomKeys;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Who is in which room and who is online, across all gateways. Each gateway writes its own entries
 * to Redis with an expiry and refreshes them on a heartbeat, so a crashed gateway's users expire
 * (and are announced as leaving) within the TTL plus one heartbeat.
 */
@ApplicationScoped
public class PresenceRegistry {

    private static final LuaScript JOIN = LuaScript.fromResource("scripts/presence-join.lua");
    private static final LuaScript LEAVE = LuaScript.fromResource("scripts/presence-leave.lua");
    private static final LuaScript SWEEP = LuaScript.fromResource("scripts/presence-sweep.lua");
    private static final LuaScript REFRESH = LuaScript.fromResource("scripts/presence-refresh.lua");
    private static final LuaScript OFFLINE = LuaScript.fromResource("scripts/user-offline.lua");

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig config;
    private final String node;

    // Local connection counts; guarded by `this`. Redis is only told about the first and the last.
    private final Map<String, Map<String, Integer>> roomUsers = new HashMap<>();
    private final Map<String, Integer> onlineUsers = new HashMap<>();

    public PresenceRegistry(ReactiveRedisDataSource redis, GatewayConfig config, NodeName node) {
        this.redis = redis;
        this.config = config;
        this.node = node.name();
    }

    /** A connection of {@code user} joined {@code room} on this gateway. */
    public void joined(String room, String user) {
        boolean first;
        synchronized (this) {
            Map<String, Integer> users = roomUsers.computeIfAbsent(room, r -> new HashMap<>());
            first = users.merge(user, 1, Integer::sum) == 1;
        }
        if (first) {
            fireAndForget(JOIN.run(redis, List.of(RoomKeys.presence(room)), List.of(user, node, now(), ttl(),
                    RoomKeys.channel(room), room)), "presence join");
        }
    }

    /** A connection of {@code user} left {@code room} (or closed) on this gateway. */
    public void left(String room, String user) {
        boolean last;
        synchronized (this) {
            Map<String, Integer> users = roomUsers.get(room);
            if (users == null || !users.containsKey(user)) {
                return;
            }
            last = users.merge(user, -1, Integer::sum) == 0;
            if (last) {
                users.remove(user);
                if (users.isEmpty()) {
                    roomUsers.remove(room);
                }
            }
        }
        if (last) {
            fireAndForget(LEAVE.run(redis, List.of(RoomKeys.presence(room)), List.of(user, node, now(),
                    RoomKeys.channel(room), room)), "presence leave");
        }
    }

    /** A connection of {@code user} opened on this gateway. */
    public void connected(String user) {
        boolean first;
        synchronized (this) {
            first = onlineUsers.merge(user, 1, Integer::sum) == 1;
        }
        if (first) {
            fireAndForget(REFRESH.run(redis, List.of(RoomKeys.online(user)), List.of(expiry(), keyTtl(), node)), "online");
        }
    }

    /** A connection of {@code user} closed on this gateway. */
    public void disconnected(String user) {
        boolean last;
        synchronized (this) {
            Integer count = onlineUsers.get(user);
            if (count == null) {
                return;
            }
            last = count == 1;
            if (last) {
                onlineUsers.remove(user);
            } else {
                onlineUsers.put(user, count - 1);
            }
        }
        if (last) {
            fireAndForget(OFFLINE.run(redis, List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), config.events().stream()),
                    List.of(user, node, now(), Integer.toString(config.events().maxLength()))), "offline");
        }
    }

    /** The users in a room on any gateway, sorted. */
    public Uni<List<String>> users(String room) {
        return redis.execute("ZRANGEBYSCORE", RoomKeys.presence(room), now(), "+inf").map(reply -> {
            TreeSet<String> users = new TreeSet<>();
            for (Response member : reply) {
                String value = member.toString();
                users.add(value.substring(0, value.indexOf('|')));
            }
            return List.copyOf(users);
        });
    }

    /** Whether a user is connected to any gateway, and when they were last seen (now, if online). */
    public Uni<OnlineStatus> status(String user) {
        return redis.execute("ZCOUNT", RoomKeys.online(user), now(), "+inf")
                .chain(count -> count.toLong() > 0
                        ? Uni.createFrom().item(new OnlineStatus(user, true, System.currentTimeMillis()))
                        : redis.execute("GET", RoomKeys.lastSeen(user))
                                .map(seen -> new OnlineStatus(user, false, seen == null ? null : seen.toLong())));
    }

    /** Heartbeat: refreshes this gateway's entries and removes expired ones of crashed gateways. */
    @Scheduled(every = "${chat.presence.heartbeat-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        Map<String, List<String>> rooms = new HashMap<>();
        List<String> users;
        synchronized (this) {
            roomUsers.forEach((room, present) -> rooms.put(room, new ArrayList<>(present.keySet())));
            users = new ArrayList<>(onlineUsers.keySet());
        }
        rooms.forEach((room, present) -> {
            List<String> args = new ArrayList<>(List.of(expiry(), keyTtl()));
            present.forEach(user -> args.add(user + "|" + node));
            fireAndForget(REFRESH.run(redis, List.of(RoomKeys.presence(room)), args), "presence heartbeat");
            fireAndForget(SWEEP.run(redis, List.of(RoomKeys.presence(room)), List.of(now(), RoomKeys.channel(room), room)), "presence sweep");
        });
        for (String user : users) {
            fireAndForget(REFRESH.run(redis, List.of(RoomKeys.online(user)), List.of(expiry(), keyTtl(), node)), "online heartbeat");
        }
    }

    private static void fireAndForget(Uni<Response> call, String what) {
        call.subscribe().with(r -> {
        }, e -> Log.debugf("%s failed: %s", what, e.getMessage()));
    }

    private static String now() {
        return Long.toString(System.currentTimeMillis());
    }

    private String ttl() {
        return Long.toString(config.presence().ttl().toMillis());
    }

    private String expiry() {
        return Long.toString(System.currentTimeMillis() + config.presence().ttl().toMillis());
    }

    private String keyTtl() {
        return Long.toString(config.presence().ttl().toMillis() * 2);
    }
}
