package dev.chat.gateway.presence;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.redis.ScriptPipeline;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.NodeName;
import dev.chat.gateway.metrics.GatewayMetrics;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who is in which room and who is online, across all gateways. Each gateway writes its own entries
 * to Redis with an expiry and refreshes them on a heartbeat, so a crashed gateway's users expire
 * (and are announced as leaving) within the TTL plus one heartbeat.
 *
 * <p>Nothing is written per join: changes are collected per room and flushed every batch interval,
 * in pipelines of at most batch-size script calls, one pipeline at a time. So a connect storm costs
 * Redis one call per changed room per interval, never competes with sends for more than one pooled
 * connection, and each room announces its changes in a bounded number of frames (presence-update.lua). In a storm,
 * or while users trickle in, Redis holds a room's announcements for all gateways at once; the room's changes then wait
 * here until the hold ends ({@link ChurnHolds}).
 */
@ApplicationScoped
public class PresenceRegistry {

    private static final LuaScript UPDATE = LuaScript.fromResource("scripts/presence-update.lua");
    private static final LuaScript USERS = LuaScript.fromResource("scripts/presence-users.lua");
    private static final LuaScript REFRESH = LuaScript.fromResource("scripts/presence-refresh.lua");
    private static final LuaScript OFFLINE = LuaScript.fromResource("scripts/user-offline.lua");
    private static final LuaScript ONLINE = LuaScript.fromResource("scripts/user-online.lua");
    /** Users per online heartbeat call: Redis runs one call's ZADDs and PEXPIREs back to back (about 0.2 ms for 64). */
    static final int ONLINE_KEYS_PER_CALL = 64;

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig config;
    private final GatewayConfig.Presence settings;
    private final String node;
    private final Vertx vertx;
    private final TypingSignals typing;
    private final RedisLayout layout;
    private final GatewayMetrics metrics;
    /** Connects' and closes' online-status writes, pipelined in the order they were made. */
    private final ScriptPipeline onlineWrites;

    // Guarded by `this`. Redis is only told about a user's first and last connection, in the next flush.
    private final Map<String, Map<String, Integer>> roomUsers = new HashMap<>();
    /** The memberships counted in roomUsers: each is counted and uncounted exactly once. */
    private final Set<Object> counted = new HashSet<>();
    private final Map<String, Set<String>> changedRooms = new HashMap<>();
    private final Map<String, Integer> onlineUsers = new HashMap<>();
    /** Rooms whose announcements Redis holds: their changes wait here until the hold ends. */
    private final ChurnHolds churning = new ChurnHolds();
    /**
     * presence-update.lua's hold settings: the first hold (0: none), the longest, the grace after a hold (ms), and the
     * list rate (users a second).
     */
    private final List<String> holdArgs;
    private boolean heartbeatDue;
    private boolean flushing;
    private long timer = -1;
    private long heartbeatTimer = -1;

    public PresenceRegistry(ReactiveRedisDataSource redis, GatewayConfig config, NodeName node, Vertx vertx, TypingSignals typing,
            RedisLayout layout, GatewayMetrics metrics) {
        this.redis = redis;
        this.metrics = metrics;
        this.layout = layout;
        this.config = config;
        this.settings = config.presence();
        this.node = node.name();
        this.vertx = vertx;
        this.typing = typing;
        this.onlineWrites = new ScriptPipeline(redis, settings.batchSize());
        long tickMs = settings.batchInterval().toMillis();
        long holdMs = settings.churnInterval().toMillis();
        // The grace: a room that has changes waiting flushes at the first tick after its hold, within it.
        this.holdArgs = List.of(Long.toString(holdMs > tickMs ? holdMs : 0),
                Long.toString(Math.max(holdMs, settings.churnIntervalMax().toMillis())), Long.toString(Math.max(1, tickMs + tickMs / 2)),
                Integer.toString(Math.max(0, settings.listUsersPerSecond())));
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(settings.batchInterval().toMillis(), t -> flush());
        heartbeatTimer = vertx.setPeriodic(settings.heartbeatInterval().toMillis(), t -> {
            synchronized (this) {
                heartbeatDue = true;
            }
        });
    }

    void stop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
        vertx.cancelTimer(heartbeatTimer);
    }

    /**
     * A connection of {@code user} joined {@code room} on this gateway; {@code membership} identifies that
     * connection's membership, so that it is counted once however join, leave and close interleave.
     */
    public void joined(Object membership, String room, String user) {
        synchronized (this) {
            if (!counted.add(membership)) {
                return;
            }
            if (roomUsers.computeIfAbsent(room, r -> new HashMap<>()).merge(user, 1, Integer::sum) == 1) {
                changedRooms.computeIfAbsent(room, r -> new HashSet<>()).add(user);
            }
        }
    }

    /**
     * A connection joined a room again: {@code next} takes over {@code previous}'s place in the count, so the room sees no
     * change. A previous membership not counted (its own join still in flight) hands nothing over; {@code next} is counted
     * when its join completes ({@link #joined}).
     */
    public void replaced(Object previous, Object next) {
        synchronized (this) {
            if (counted.remove(previous)) {
                counted.add(next);
            }
        }
    }

    /** The membership left (or its connection closed); a membership never counted, or already uncounted, changes nothing. */
    public void left(Object membership, String room, String user) {
        synchronized (this) {
            if (!counted.remove(membership)) {
                return;
            }
            Map<String, Integer> users = roomUsers.get(room);
            if (users.merge(user, -1, Integer::sum) == 0) {
                users.remove(user);
                if (users.isEmpty()) {
                    roomUsers.remove(room);
                }
                changedRooms.computeIfAbsent(room, r -> new HashSet<>()).add(user);
            }
        }
    }

    /** Whether this gateway counts {@code user} as present in {@code room} (tests and diagnostics). */
    public synchronized boolean isLocallyPresent(String room, String user) {
        Map<String, Integer> users = roomUsers.get(room);
        return users != null && users.containsKey(user);
    }

    /** Memberships currently counted on this gateway (tests and diagnostics). */
    public synchronized int countedMemberships() {
        return counted.size();
    }

    /**
     * A connection of {@code user} opened on this gateway. For the user's first connection here, completes
     * once Redis knows the user is online (one command, like the join that follows), so that a direct
     * message sent after {@code welcome} never counts them offline.
     */
    public io.vertx.core.Future<Void> connected(String user) {
        boolean first;
        synchronized (this) {
            first = onlineUsers.merge(user, 1, Integer::sum) == 1;
        }
        if (!first) {
            return io.vertx.core.Future.succeededFuture();
        }
        List<String> args = List.of(expiry(), keyTtl(), node, user);
        if (!layout.cluster()) {
            return onlineWrites.run(ONLINE, List.of(RoomKeys.online(user), RoomKeys.gatewayUsers(node)), args).<Void>mapEmpty()
                    .onFailure(e -> Log.debugf("online status of %s not written: %s", user, e.getMessage()));
        }
        // On a Redis Cluster this gateway's users set is in another slot than the user's keys.
        redis.execute("SADD", RoomKeys.gatewayUsers(node), user).subscribe()
                .with(r -> {
                }, e -> Log.debugf("%s not added to this gateway's users: %s", user, e.getMessage()));
        return onlineWrites.run(ONLINE, List.of(RoomKeys.online(user)), args).<Void>mapEmpty()
                .onFailure(e -> Log.debugf("online status of %s not written: %s", user, e.getMessage()));
    }

    /** The users connected to this gateway now (a copy). */
    public synchronized List<String> onlineHere() {
        return List.copyOf(onlineUsers.keySet());
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
            typing.forget(user);
            String now = now();
            String maxLength = Integer.toString(config.events().maxLength());
            if (!layout.cluster()) {
                // After this user's online write, in the same pipelines as other connects and closes. Run twice (a pipeline
                // resent after Redis lost its scripts), it appends a second user.offline event for the same close.
                onlineWrites.run(OFFLINE, List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), config.events().stream(), RoomKeys.gatewayUsers(node)),
                        List.of(user, node, now, maxLength, "1"))
                        .onFailure(e -> Log.debugf("offline status of %s not written: %s", user, e.getMessage()));
                return;
            }
            // On a Redis Cluster the events stream and this gateway's users set are in other slots than the user's keys:
            // the script says whether the user went offline, and the event is appended right after it.
            redis.execute("SREM", RoomKeys.gatewayUsers(node), user).subscribe()
                    .with(r -> {
                    }, e -> Log.debugf("%s not removed from this gateway's users: %s", user, e.getMessage()));
            OFFLINE.run(redis, List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), RoomKeys.lastSeen(user)),
                    List.of(user, node, now, maxLength, "0"))
                    .chain(offline -> offline.toInteger() == 0 ? Uni.createFrom().voidItem()
                            : redis.execute("XADD", config.events().stream(), "MAXLEN", "~", maxLength, "*", "type", "user.offline",
                                    "user", user, "ts", now).replaceWithVoid())
                    .subscribe().with(r -> {
                    }, e -> Log.debugf("offline status of %s not written: %s", user, e.getMessage()));
        }
    }

    /**
     * The users in a room on any gateway, sorted, as the room's members were told: a change a hold keeps unannounced
     * is left out until it is announced, so an asker who then applies the announcements stays right.
     */
    public Uni<List<String>> users(String room) {
        return USERS.run(redis, usersKeys(room), List.of(now())).map(PresenceRegistry::sorted);
    }

    /** {@link #users} of each room, in pipelines of batch-size script calls, one after the other. */
    public Uni<List<List<String>>> usersOf(List<String> rooms) {
        List<String> now = List.of(now());
        return Multi.createFrom().iterable(chunks(rooms, Math.max(1, settings.batchSize())))
                .onItem().transformToUniAndConcatenate(chunk -> USERS.runBatch(redis, chunk.stream().map(PresenceRegistry::usersKeys).toList(),
                        chunk.stream().map(room -> now).toList()))
                .onItem().transformToIterable(replies -> replies.stream().map(PresenceRegistry::sorted).toList())
                .collect().asList();
    }

    private static List<String> usersKeys(String room) {
        return List.of(RoomKeys.presence(room), RoomKeys.presenceUnannounced(room));
    }

    private static List<String> sorted(Response reply) {
        TreeSet<String> users = new TreeSet<>();
        for (Response user : reply) {
            users.add(user.toString());
        }
        return List.copyOf(users);
    }

    /** Whether a user is connected to any gateway, and when they were last seen (now, if online). */
    public Uni<OnlineStatus> status(String user) {
        return redis.execute("ZCOUNT", RoomKeys.online(user), now(), "+inf")
                .chain(count -> count.toLong() > 0
                        ? Uni.createFrom().item(new OnlineStatus(user, true, System.currentTimeMillis()))
                        : redis.execute("GET", RoomKeys.lastSeen(user))
                                .map(seen -> new OnlineStatus(user, false, seen == null ? null : seen.toLong())));
    }

    /** One flush at a time: the changes since the last one and, when due, the heartbeat of everything local. */
    void flush() {
        Snapshot snapshot;
        synchronized (this) {
            if (flushing) {
                return;
            }
            long now = System.currentTimeMillis();
            for (String room : churning.ended(now)) {
                // Redis kept changes of ours unannounced through the hold: this flush (with no changes, if need be) announces them.
                changedRooms.computeIfAbsent(room, r -> new HashSet<>());
            }
            if (changedRooms.isEmpty() && !heartbeatDue) {
                return;
            }
            flushing = true;
            snapshot = snapshot(now);
        }
        write(snapshot).subscribe().with(done -> finished(), failure -> finished());
    }

    private synchronized void finished() {
        flushing = false;
    }

    /** What to write, taken under the lock: each user's final state, so a join and leave within an interval cancel out. */
    private Snapshot snapshot(long now) {
        boolean heartbeat = heartbeatDue;
        heartbeatDue = false;
        Map<String, RoomUpdate> rooms = new HashMap<>();
        for (var it = changedRooms.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Set<String>> changed = it.next();
            String room = changed.getKey();
            // While Redis holds the room's announcements, its changes wait here: one call at the hold's end instead of
            // one per batch interval, with each user's final state. A heartbeat writes every room.
            if (!heartbeat && churning.holding(room, now)) {
                continue;
            }
            rooms.put(room, update(room, changed.getValue(), heartbeat));
            it.remove();
        }
        if (heartbeat) {
            for (String room : roomUsers.keySet()) {
                rooms.computeIfAbsent(room, r -> update(r, Set.of(), true));
            }
        }
        List<String> online = heartbeat ? new ArrayList<>(onlineUsers.keySet()) : List.of();
        return new Snapshot(heartbeat, new ArrayList<>(rooms.values()), online);
    }

    private RoomUpdate update(String room, Set<String> changed, boolean heartbeat) {
        Map<String, Integer> local = roomUsers.getOrDefault(room, Map.of());
        List<String> present = new ArrayList<>(heartbeat ? local.keySet() : List.of());
        List<String> absent = new ArrayList<>();
        for (String user : changed) {
            if (local.containsKey(user)) {
                if (!heartbeat) {
                    present.add(user);
                }
            } else {
                absent.add(user);
            }
        }
        return new RoomUpdate(room, present, absent, heartbeat);
    }

    private Uni<Void> write(Snapshot snapshot) {
        int size = Math.max(1, settings.batchSize());
        String now = now();
        String expiry = expiry();
        Uni<Void> rooms = Multi.createFrom().iterable(chunks(snapshot.rooms(), size))
                .onItem().transformToUniAndConcatenate(chunk -> writeRooms(chunk, now, expiry))
                .collect().last().replaceWithVoid();
        Uni<Void> online = Multi.createFrom().iterable(chunks(snapshot.online(), size))
                .onItem().transformToUniAndConcatenate(chunk -> refreshOnline(chunk, expiry))
                .collect().last().replaceWithVoid();
        return rooms.chain(() -> online);
    }

    private Uni<Void> writeRooms(List<RoomUpdate> chunk, String now, String expiry) {
        List<List<String>> keys = new ArrayList<>(chunk.size());
        List<List<String>> args = new ArrayList<>(chunk.size());
        for (RoomUpdate update : chunk) {
            keys.add(List.of(RoomKeys.presence(update.room()), RoomKeys.presenceHold(update.room()),
                    RoomKeys.presenceUnannounced(update.room()), RoomKeys.presenceNodes(update.room())));
            List<String> arg = new ArrayList<>(14 + update.present().size() + update.absent().size());
            arg.addAll(List.of(node, now, expiry, keyTtl(), layout.roomChannel(update.room()), update.room(),
                    Integer.toString(settings.batchEvents()), update.heartbeat() ? "1" : "0", layout.publishCommand()));
            arg.addAll(holdArgs);
            arg.add(Integer.toString(update.present().size()));
            arg.addAll(update.present());
            arg.addAll(update.absent());
            args.add(arg);
        }
        return UPDATE.runBatch(redis, keys, args).invoke(replies -> {
            synchronized (this) {
                for (int i = 0; i < chunk.size(); i++) {
                    Response reply = replies.get(i);
                    churning.replied(chunk.get(i).room(), reply.get(1).toLong(), reply.get(2).toLong() == 1);
                    if (reply.get(3).toLong() == 0) {
                        metrics.presenceRoomRead();
                    }
                }
            }
        }).replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    Log.warnf("Presence update of %d rooms failed (%s); retrying in the next flush", chunk.size(), e.getMessage());
                    synchronized (this) {
                        for (RoomUpdate update : chunk) {
                            Set<String> changed = changedRooms.computeIfAbsent(update.room(), r -> new HashSet<>());
                            changed.addAll(update.absent());
                            if (!update.heartbeat()) {
                                changed.addAll(update.present());
                            } else {
                                heartbeatDue = true;
                            }
                        }
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    /**
     * Heartbeat of the online status of every user connected here: on a standalone Redis one script call per
     * {@link #ONLINE_KEYS_PER_CALL} users (a call per user cost Redis a script entry for each, every interval); on a
     * Redis Cluster, whose calls must keep their keys in one slot, one call per user.
     */
    private Uni<Void> refreshOnline(List<String> users, String expiry) {
        int perCall = layout.cluster() ? 1 : ONLINE_KEYS_PER_CALL;
        List<String> memberArgs = List.of(expiry, keyTtl(), node);
        List<List<String>> keys = new ArrayList<>();
        List<List<String>> args = new ArrayList<>();
        for (List<String> group : chunks(users, perCall)) {
            keys.add(group.stream().map(RoomKeys::online).toList());
            args.add(memberArgs);
        }
        return REFRESH.runBatch(redis, keys, args).replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    Log.warnf("Online heartbeat of %d users failed (%s); retrying in the next flush", users.size(), e.getMessage());
                    synchronized (this) {
                        heartbeatDue = true;
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    private static <T> List<List<T>> chunks(List<T> items, int size) {
        List<List<T>> chunks = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            chunks.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return chunks;
    }

    private static String now() {
        return Long.toString(System.currentTimeMillis());
    }

    private String expiry() {
        return Long.toString(System.currentTimeMillis() + settings.ttl().toMillis());
    }

    private String keyTtl() {
        return Long.toString(settings.ttl().toMillis() * 2);
    }

    private record RoomUpdate(String room, List<String> present, List<String> absent, boolean heartbeat) {
    }

    private record Snapshot(boolean heartbeat, List<RoomUpdate> rooms, List<String> online) {
    }
}
