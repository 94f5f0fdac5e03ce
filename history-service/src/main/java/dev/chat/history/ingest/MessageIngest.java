package dev.chat.history.ingest;

import dev.chat.common.redis.ClusterSlots;
import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.rooms.RoomNames;
import dev.chat.history.HistoryConfig;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Follows every room's traffic into PostgreSQL and makes sure nothing is missed: a seq that jumps
 * past the last one seen, a room first seen mid-stream, a subscriber reconnect or a full queue all
 * lead to reading the missing range back from the room's recent log. Every piece of state lives on
 * one Vert.x context, shared with the subscriber and the writer, so it needs no locks; Redis and
 * database replies hop back to it.
 */
@ApplicationScoped
public class MessageIngest {

    /** Redis operations ingest keeps in flight at most (the client pool's wait queue is small). */
    private static final int REDIS_CONCURRENCY = 8;
    private static final int SCAN_COUNT = 1000;
    /**
     * Rooms whose database position is caught up per (re)subscription (normally a handful have messages above it): the
     * Redis reads this queues in the throttle at most.
     */
    private static final int CATCH_UP_ROOMS = 1_000;
    private static final LuaScript COUNT_LOST = LuaScript.fromResource("scripts/count-lost.lua");
    /** A catch-up that could not read everything runs again after 1, 2, 4 ... s, at most this far apart. */
    private static final long CATCH_UP_RETRY_MAX_MS = 60_000;

    private final Vertx vertx;
    private final HistoryConfig.Ingest config;
    private final RoomTrafficSubscriber subscriber;
    private final IngestWriter writer;
    private final MessageWriter messages;
    private final RecentLog recentLog;
    private final RoomPositions positions;
    private final Payloads payloads;
    private final ReactiveRedisDataSource redis;
    private final RedisDeployment deployment;
    private final Counter lost;
    private final Counter catchUpFailures;
    private final IngestLag lag;

    // Confined to `context`.
    private final Map<String, RoomProgress> rooms = new HashMap<>();
    /** Rooms with known missing ranges, repaired as soon as the write queue has room. */
    private final Set<RoomProgress> gappy = new LinkedHashSet<>();
    private Throttle throttle;
    private boolean discovering;
    private boolean discoverAgain;
    /** The discovery under way could not read a page or a room: it runs again until one pass reads everything. */
    private boolean discoveryIncomplete;
    private int discoveryRetries;
    private int catchUpRetries;
    /** Calls of the last position tick still in flight. */
    private int positionWrites;
    /** A catch-up of stored positions is under way; {@code catchUpAgain}: a (re)subscription came meanwhile, so one more follows. */
    private boolean catchingUp;
    private boolean catchUpAgain;

    private volatile Context context;

    public MessageIngest(Vertx vertx, HistoryConfig config, RoomTrafficSubscriber subscriber, IngestWriter writer,
            RecentLog recentLog, RoomPositions positions, Payloads payloads, ReactiveRedisDataSource redis, MeterRegistry registry,
            RedisDeployment deployment, MessageWriter messages) {
        this.vertx = vertx;
        this.messages = messages;
        this.deployment = deployment;
        this.config = config.ingest();
        this.subscriber = subscriber;
        this.writer = writer;
        this.recentLog = recentLog;
        this.positions = positions;
        this.payloads = payloads;
        this.redis = redis;
        this.lost = Counter.builder("chat.history.lost")
                .description("Messages that could not be stored: gone from the recent log before history read them").register(registry);
        this.catchUpFailures = Counter.builder("chat.history.ingest.catchup.failures")
                .description("Redis reads of the catch-up after a (re)subscription that failed; the catch-up runs again until it reads everything")
                .register(registry);
        this.lag = new IngestLag(registry);
    }

    void start(@Observes StartupEvent event) {
        // Called on the main thread, this creates a context of its own (on one of the event loops) for all ingest state.
        context = vertx.getOrCreateContext();
        throttle = new Throttle(context, REDIS_CONCURRENCY);
        writer.start(context, this::stored);
        context.runOnContext(v -> {
            vertx.setPeriodic(config.sweepInterval().toMillis(), id -> sweep());
            vertx.setPeriodic(config.positionInterval().toMillis(), id -> publishPositions());
        });
        subscriber.start(context, this::received);
    }

    /** After (re)subscribing, rooms may have had traffic that was not received: compare every room's counter with what is stored. */
    void onSubscribed(@Observes Subscribed event) {
        if (context != null) {
            context.runOnContext(v -> {
                discover();
                catchUpStoredPositions();
            });
        }
    }

    /**
     * A stored position goes to Redis at once and to PostgreSQL with the next statement (within the batch linger): a
     * restart in between leaves the database's behind, and the replay API, which pages no further than it, would hide the
     * room's last messages until its next one. Rooms with messages above their database position get Redis's, if higher.
     */
    private void catchUpStoredPositions() {
        if (catchingUp) {
            catchUpAgain = true;
            return;
        }
        catchingUp = true;
        int[] failed = {0};
        // A scan of the rooms table (no index: one on the positions would cost every batch's update of them), at
        // (re)subscriptions only.
        messages.roomsAheadOfTheirPosition(CATCH_UP_ROOMS)
                .onItem().transformToUni(behind -> {
                    List<Uni<Void>> reads = behind.entrySet().stream()
                            .map(room -> throttle.submit(() -> positions.read(room.getKey())).invoke(position -> {
                                if (position.stored() > room.getValue()) {
                                    writer.recordStored(room.getKey(), position.stored());
                                }
                            }).onFailure().invoke(e -> failed[0]++).onFailure().recoverWithNull().replaceWithVoid()).toList();
                    return reads.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(reads).andCollectFailures().replaceWithVoid();
                })
                .subscribe().with(ok -> caughtUp(failed[0] == 0 ? null : failed[0] + " position reads failed"),
                        failure -> caughtUp(failure.getMessage()));
    }

    private void caughtUp(String failure) {
        context.runOnContext(v -> {
            catchingUp = false;
            if (catchUpAgain) {
                catchUpAgain = false;
                catchUpStoredPositions();
            } else if (failure != null) {
                catchUpFailures.increment();
                long delay = retryDelay(catchUpRetries++);
                Log.warnf("Catching up stored positions: %s; again in %d ms", failure, delay);
                vertx.setTimer(delay, id -> context.runOnContext(again -> catchUpStoredPositions()));
            } else {
                catchUpRetries = 0;
            }
        });
    }

    private static long retryDelay(int retries) {
        return Math.min(CATCH_UP_RETRY_MAX_MS, 1000L << Math.min(retries, 16));
    }

    /**
     * The highest seq this instance has seen per room, including messages not stored yet, read on the
     * ingest context. Re-seeding uses it so a counter is never restored below a message in flight.
     */
    public Uni<Map<String, Long>> highestSeen() {
        if (context == null) {
            return Uni.createFrom().item(Map.of());
        }
        return Uni.createFrom().emitter(emitter -> context.runOnContext(v -> {
            Map<String, Long> seen = new HashMap<>(rooms.size());
            for (RoomProgress p : rooms.values()) {
                seen.put(p.room, p.highestSeen);
            }
            emitter.complete(seen);
        }));
    }

    /**
     * The messages with a {@code cid} this instance received but has not stored yet, read on the ingest context:
     * re-seeding restores their idempotency records too.
     */
    public Uni<List<ChatMessage>> unstoredWithCid() {
        if (context == null) {
            return Uni.createFrom().item(List.of());
        }
        return Uni.createFrom().emitter(emitter -> context.runOnContext(v -> emitter.complete(writer.unstoredWithCid())));
    }

    /** A payload from the room's channel ({@code room} given) or from its slot's channel ({@code room} null: the payload names it). */
    private void received(String room, String payload) {
        if (room != null && !RoomNames.isValidRoom(room)) {
            return;
        }
        ChatMessage message = payloads.parse(room, payload);
        if (message == null) {
            return;
        }
        long seq = message.seq();
        RoomProgress p = progress(message.room());
        if (p.highestSeen > 0 && seq > p.highestSeen + 1) {
            // A jump: the messages in between were published while this connection missed them.
            backfill(p, p.highestSeen + 1, seq - 1);
        }
        p.highestSeen = Math.max(p.highestSeen, seq);
        if (!p.knowsWatermark()) {
            p.lowestLive = Math.min(p.lowestLive, seq);
        }
        enqueue(p, message, false);
    }

    private RoomProgress progress(String room) {
        RoomProgress p = rooms.get(room);
        if (p == null) {
            p = new RoomProgress(room, System.currentTimeMillis());
            rooms.put(room, p);
            requestBaseline(p);
        }
        p.lastActivity = System.currentTimeMillis();
        return p;
    }

    /** Learns where the room stands in Redis, then fills what came before the first live message. */
    private void requestBaseline(RoomProgress p) {
        p.baselineRequested = true;
        throttle.submit(() -> positions.read(p.room)).subscribe().with(position -> {
            p.baselineRequested = false;
            if (p.baseline(position.stored())) {
                advanceStored(p);
            }
            if (p.lowestLive != Long.MAX_VALUE && p.lowestLive > position.stored() + 1) {
                backfill(p, position.stored() + 1, p.lowestLive - 1);
            }
        }, failure -> {
            p.baselineRequested = false;
            Log.debugf("Reading the positions of room %s failed (%s); the sweep retries", p.room, failure.getMessage());
        });
    }

    private void enqueue(RoomProgress p, ChatMessage message, boolean fromLog) {
        if (writer.offer(message, fromLog)) {
            p.busy++;
        } else {
            // A gap from this moment on: the next sweep reads it from the log, however busy the room stays.
            missing(p, message.seq(), message.seq());
        }
    }

    /** Messages now stored (or dead-lettered): the watermark may move; it is published with the next position tick. */
    private void stored(List<ChatMessage> messages) {
        for (ChatMessage message : messages) {
            RoomProgress p = rooms.get(message.room());
            if (p == null) {
                continue;
            }
            p.busy--;
            if (p.markDone(message.seq(), message.seq())) {
                advanceStored(p);
            }
        }
        if (!gappy.isEmpty() && writer.hasRoomForMore()) {
            repairMissing();
        }
    }

    private void missing(RoomProgress p, long from, long to) {
        p.markMissing(from, to);
        gappy.add(p);
    }

    /** Reads known gaps back from the recent log while the write queue has room. */
    private void repairMissing() {
        for (Iterator<RoomProgress> it = gappy.iterator(); it.hasNext() && writer.hasRoomForMore();) {
            RoomProgress p = it.next();
            it.remove();
            if (!p.knowsWatermark()) {
                continue;
            }
            for (long[] range = p.takeMissing(); range != null; range = p.takeMissing()) {
                backfill(p, Math.max(range[0], p.watermark + 1), range[1]);
            }
        }
    }

    /**
     * Publishes the stored positions that moved since the last tick, {@value RoomPositions#ROOMS_PER_CALL} rooms per
     * Redis call (one tick in flight at a time; the chunks go through the throttle, so a cluster's thousands of
     * single-room calls never flood a connection): one call per room and tick cost Redis a third of a script call
     * per message sent with 200 busy rooms.
     */
    private void publishPositions() {
        if (positionWrites > 0) {
            return;
        }
        List<RoomProgress> moved = new ArrayList<>();
        for (RoomProgress p : rooms.values()) {
            if (p.positionDirty) {
                p.positionDirty = false;
                if (p.watermark > p.published) {
                    moved.add(p);
                }
            }
        }
        for (int from = 0; from < moved.size(); from += RoomPositions.ROOMS_PER_CALL) {
            List<RoomProgress> chunk = moved.subList(from, Math.min(moved.size(), from + RoomPositions.ROOMS_PER_CALL));
            Map<String, Long> targets = new HashMap<>();
            for (RoomProgress p : chunk) {
                targets.put(p.room, p.watermark);
                writer.recordStored(p.room, p.watermark);
            }
            positionWrites++;
            throttle.submit(() -> positions.advance(targets)).subscribe().with(ok -> {
                positionWrites--;
                for (RoomProgress p : chunk) {
                    p.published = Math.max(p.published, targets.get(p.room));
                    // What moved meanwhile goes with the next tick.
                    p.positionDirty |= p.watermark > p.published;
                }
            }, failure -> {
                positionWrites--;
                chunk.forEach(p -> p.positionDirty = true);
                Log.debugf("Publishing %d rooms' stored positions failed (%s); the next tick retries", chunk.size(), failure.getMessage());
            });
        }
    }

    /** Reads seqs {@code from..to} from the room's recent log into the write queue, in chunks. */
    private void backfill(RoomProgress p, long from, long to) {
        if (from > to) {
            return;
        }
        p.busy++;
        int chunk = config.backfillChunk();
        throttle.submit(() -> recentLog.read(p.room, from, to, chunk)).subscribe().with(read -> {
            p.busy--;
            long next = from;
            for (ChatMessage message : read.messages()) {
                if (message.seq() > next) {
                    unrecoverable(p, next, message.seq() - 1);
                }
                enqueue(p, message, true);
                next = message.seq() + 1;
            }
            if (read.full() && read.lastSeq() < to) {
                if (read.lastSeq() >= next) {
                    unrecoverable(p, next, read.lastSeq());
                }
                if (writer.hasRoomForMore()) {
                    backfill(p, read.lastSeq() + 1, to);
                } else {
                    missing(p, read.lastSeq() + 1, to);
                }
            } else if (next <= to) {
                // The log holds nothing more in the range: those entries were trimmed (or Redis lost them).
                unrecoverable(p, next, to);
            }
        }, failure -> {
            p.busy--;
            missing(p, from, to);
            Log.warnf("Reading room %s's recent log (%d..%d) failed (%s); the sweep retries", p.room, from, to, failure.getMessage());
        });
    }

    private void unrecoverable(RoomProgress p, long from, long to) {
        if (p.knowsWatermark() && to <= p.watermark) {
            return;
        }
        long first = p.knowsWatermark() ? Math.max(from, p.watermark + 1) : from;
        // Every replica finds the same loss; Redis tells which part of it no replica counted yet.
        throttle.submit(() -> COUNT_LOST.run(redis, List.of(RoomKeys.lost(p.room)), List.of(Long.toString(first), Long.toString(to))))
                .subscribe().with(reply -> {
                    long fresh = reply.toLong();
                    if (fresh > 0) {
                        Log.warnf("Room %s: messages %d..%d are not in the recent log (trimmed, or Redis lost them); %d not stored "
                                + "before are lost", p.room, first, to, fresh);
                        lost.increment(fresh);
                    }
                }, failure -> {
                    Log.warnf("Room %s: messages %d..%d are lost (and counting them in Redis failed: %s)", p.room, first, to,
                            failure.getMessage());
                    lost.increment(to - first + 1);
                });
        if (p.markDone(first, to)) {
            advanceStored(p);
        }
    }

    /** The room's watermark passed the stored position Redis holds: the next position tick publishes it. */
    private void advanceStored(RoomProgress p) {
        if (p.watermark > p.published) {
            p.positionDirty = true;
        }
    }

    /** Periodic repair: re-reads gaps nothing else is filling, re-sends stored positions, forgets idle rooms. */
    private void sweep() {
        long now = System.currentTimeMillis();
        long idle = config.idleRoom().toMillis();
        boolean canBackfill = !writer.failing() && writer.hasRoomForMore();
        for (Iterator<RoomProgress> it = rooms.values().iterator(); it.hasNext();) {
            RoomProgress p = it.next();
            if (!p.knowsWatermark()) {
                if (!p.baselineRequested) {
                    requestBaseline(p);
                }
                continue;
            }
            if (canBackfill) {
                if (p.busy == 0 && p.watermark < p.highestSeen) {
                    backfill(p, p.watermark + 1, p.firstGapEnd());
                }
            }
            advanceStored(p);
            if (p.caughtUp() && now - p.lastActivity > idle) {
                it.remove();
                gappy.remove(p);
            }
        }
        if (canBackfill) {
            // Known gaps (a full queue dropped them): read back even while the room never goes quiet.
            for (RoomProgress p : rooms.values()) {
                if (p.hasMissing()) {
                    gappy.add(p);
                }
            }
            repairMissing();
        }
        lag.update(rooms.values());
    }

    /** Walks every room counter in Redis (on every master of a Redis Cluster) and reads back whatever was published but not stored. */
    private void discover() {
        if (discovering) {
            discoverAgain = true;
            return;
        }
        discovering = true;
        discoveryIncomplete = false;
        if (!deployment.cluster()) {
            Redis client = redis.getRedis().getDelegate();
            discoverPage(cursor -> scan(client, cursor), "0", this::discoveryDone);
            return;
        }
        ClusterSlots.read(vertx, deployment, deployment.hosts()).onComplete(read -> context.runOnContext(v -> {
            if (read.failed()) {
                Log.warnf("Reading the Redis Cluster's masters failed (%s)", read.cause().getMessage());
                discoveryFailed();
                discoveryDone();
                return;
            }
            discoverMasters(List.copyOf(read.result().masters()), 0);
        }));
    }

    /** SCAN runs per node: each master in turn, over a connection of its own. */
    private void discoverMasters(List<String> masters, int index) {
        if (index == masters.size()) {
            discoveryDone();
            return;
        }
        Redis node = Redis.createClient(vertx, deployment.nodeOptions(masters.get(index), "history-discover").setMaxPoolSize(1));
        discoverPage(cursor -> scan(node, cursor), "0", () -> {
            node.close();
            discoverMasters(masters, index + 1);
        });
    }

    /** One page of the room counters on the node (a standalone Redis, or one master) that {@code client} talks to. */
    private static Uni<ScanPage> scan(Redis client, String cursor) {
        return Uni.createFrom().completionStage(() -> client.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SCAN)
                .arg(cursor).arg("MATCH").arg(RoomKeys.SEQ_PATTERN).arg("COUNT").arg(SCAN_COUNT)).toCompletionStage())
                .map(reply -> {
                    List<String> keys = new ArrayList<>();
                    reply.get(1).forEach(key -> keys.add(key.toString()));
                    return new ScanPage(reply.get(0).toString(), keys);
                });
    }

    private record ScanPage(String next, List<String> keys) {
    }

    private void discoverPage(Function<String, Uni<ScanPage>> scan, String cursor, Runnable done) {
        throttle.submit(() -> scan.apply(cursor))
                .subscribe().with(page -> {
                    List<Uni<Void>> checks = new ArrayList<>();
                    for (String key : page.keys()) {
                        String room = RoomKeys.roomOfSeqKey(key);
                        if (room != null && RoomNames.isValidRoom(room)) {
                            checks.add(throttle.submit(() -> positions.read(room)).invoke(position -> compare(room, position))
                                    .onFailure().invoke(this::discoveryFailed).onFailure().recoverWithNull().replaceWithVoid());
                        }
                    }
                    Uni<Void> all = checks.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(checks).andCollectFailures().replaceWithVoid();
                    all.subscribe().with(ok -> context.runOnContext(v -> {
                        if ("0".equals(page.next())) {
                            done.run();
                        } else {
                            discoverPage(scan, page.next(), done);
                        }
                    }), failure -> context.runOnContext(v -> done.run()));
                }, failure -> context.runOnContext(v -> {
                    Log.warnf("Scanning Redis for rooms failed (%s)", failure.getMessage());
                    discoveryFailed();
                    done.run();
                }));
    }

    /** On the context: a page or a room of this discovery was not read, so what it would have found may still be missing. */
    private void discoveryFailed() {
        discoveryIncomplete = true;
        catchUpFailures.increment();
    }

    /**
     * Messages published while ingest was not subscribed, in rooms that get nothing more, are found by no one else: a pass
     * that could not read everything (Redis still loading after a restart, a timeout) runs again until one does.
     */
    private void discoveryDone() {
        discovering = false;
        if (discoverAgain) {
            discoverAgain = false;
            discover();
        } else if (discoveryIncomplete) {
            long delay = retryDelay(discoveryRetries++);
            Log.warnf("Catching up rooms from Redis left some unread; again in %d ms", delay);
            vertx.setTimer(delay, id -> context.runOnContext(v -> discover()));
        } else {
            discoveryRetries = 0;
        }
    }

    private void compare(String room, RoomPositions.Position position) {
        RoomProgress p = rooms.get(room);
        if (p == null) {
            if (position.counter() <= position.stored()) {
                return;
            }
            p = new RoomProgress(room, System.currentTimeMillis());
            rooms.put(room, p);
            p.baseline(position.stored());
            p.highestSeen = position.counter();
            backfill(p, position.stored() + 1, position.counter());
            return;
        }
        if (position.counter() > p.highestSeen) {
            long from = p.highestSeen + 1;
            p.highestSeen = position.counter();
            backfill(p, from, position.counter());
        }
    }
}
