package dev.chat.history.reseed;

import dev.chat.common.redis.ClusterSlots;
import dev.chat.common.redis.KeySlots;
import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.history.HistoryConfig;
import dev.chat.history.ingest.MessageIngest;
import dev.chat.history.ingest.Subscribed;
import dev.chat.history.store.DatabaseContexts;
import dev.chat.history.store.MessageRepository;
import dev.chat.history.store.RoomMax;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Restores room counters after Redis lost its data. The gateway refuses to start a room over while
 * Redis lacks its generation marker; this puts every room's counter back to the highest seq history
 * knows (with a new epoch, so clients notice), then sets the marker so the gateway accepts traffic
 * again. Before the counters it restores the idempotency records of recent sends, so a resend of a message accepted
 * just before the loss is answered with its seq, not stored twice. History stays off the send path: with the marker
 * present, new rooms never wait for it. On a Redis Cluster the marker is one per hash slot: a shard that came back
 * empty loses its slots' markers, and only the rooms of those slots are re-seeded.
 */
@ApplicationScoped
public class CounterReseeder {

    private static final LuaScript RESEED = LuaScript.fromResource("scripts/reseed.lua");
    /** An instance field: a static one would be created, and seeded, while a native image is built. */
    private final SecureRandom random = new SecureRandom();
    /** Lua calls in flight at once, well inside the Redis client pool. */
    private static final int CONCURRENCY = 4;
    /** Longer than a re-seed takes (bounded by the statement timeout per page); a crashed holder's lock expires. */
    private static final Duration LOCK_TTL = Duration.ofMinutes(5);

    /** Standalone: the one marker stands for every slot. */
    private static final Set<Integer> ALL_SLOTS = Set.of(-1);

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final RedisDeployment deployment;
    private final RedisLayout layout;
    private final MessageRepository repository;
    private final DatabaseContexts databaseContexts;
    private final MessageIngest ingest;
    private final HistoryConfig.Reseed config;
    private final IdempotencyRecords idempotency;
    private final AtomicBoolean running = new AtomicBoolean();

    private volatile boolean generationPresent;

    public CounterReseeder(ReactiveRedisDataSource redis, MessageRepository repository, DatabaseContexts databaseContexts,
            MessageIngest ingest, HistoryConfig config, MeterRegistry registry, Vertx vertx, RedisDeployment deployment, RedisLayout layout,
            IdempotencyRecords idempotency) {
        this.idempotency = idempotency;
        this.vertx = vertx;
        this.deployment = deployment;
        this.layout = layout;
        Gauge.builder("chat.history.reseed.waiting", this, r -> r.generationPresent ? 0 : 1)
                .description("1 while Redis lacks its generation marker: room counters wait to be re-seeded, sends to rooms Redis forgot "
                        + "are refused").register(registry);
        this.redis = redis;
        this.repository = repository;
        this.databaseContexts = databaseContexts;
        this.ingest = ingest;
        this.config = config.reseed();
    }

    void onStart(@Observes StartupEvent event) {
        check();
    }

    void onSubscribed(@Observes Subscribed event) {
        check();
    }

    @Scheduled(every = "${chat.reseed.interval:5S}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        check();
    }

    /** Whether the last check found Redis holding its generation marker (after re-seeding if needed). */
    public boolean generationPresent() {
        return generationPresent;
    }

    /** Checks the generation marker(s) and re-seeds if any is gone; returns at once, one check at a time. */
    public void check() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        missingGenerations()
                .chain(missing -> missing.isEmpty() ? Uni.createFrom().item(true) : reseedOnce(missing))
                .subscribe().with(present -> {
                    generationPresent = present;
                    running.set(false);
                }, failure -> {
                    generationPresent = false;
                    running.set(false);
                    Log.warnf("Checking Redis's generation marker failed (%s); retrying in %s", failure.getMessage(), config.interval());
                });
    }

    /**
     * The slots whose generation marker is gone: on a standalone Redis {@link #ALL_SLOTS} or nothing; on a
     * Redis Cluster each master is asked for the markers of its own slots in one pipeline.
     */
    private Uni<Set<Integer>> missingGenerations() {
        if (!layout.cluster()) {
            return redis.execute("EXISTS", RoomKeys.GENERATION).map(reply -> reply.toInteger() == 1 ? Set.<Integer>of() : ALL_SLOTS);
        }
        return Uni.createFrom().completionStage(() -> ClusterSlots.read(vertx, deployment, deployment.hosts()).toCompletionStage())
                .chain(slots -> Multi.createFrom().iterable(slots.masters())
                        .onItem().transformToUniAndConcatenate(master -> missingOn(master, slots))
                        .collect().in(HashSet<Integer>::new, Set::addAll))
                .map(missing -> (Set<Integer>) missing);
    }

    private Uni<Set<Integer>> missingOn(String master, ClusterSlots slots) {
        List<Integer> owned = slotsOf(master, slots);
        return onNode(master, owned.stream().map(slot -> Request.cmd(Command.EXISTS).arg(RedisLayout.generationOfSlot(slot))).toList())
                .map(replies -> {
                    Set<Integer> missing = new HashSet<>();
                    for (int i = 0; i < replies.size(); i++) {
                        if (replies.get(i).toInteger() == 0) {
                            missing.add(owned.get(i));
                        }
                    }
                    return missing;
                });
    }

    private static List<Integer> slotsOf(String master, ClusterSlots slots) {
        List<Integer> owned = new ArrayList<>();
        for (int slot = 0; slot < KeySlots.SLOTS; slot++) {
            if (master.equals(slots.owner(slot))) {
                owned.add(slot);
            }
        }
        return owned;
    }

    /** One pipeline on a connection of its own to one master: thousands of per-slot commands in one round trip. */
    private Uni<List<io.vertx.redis.client.Response>> onNode(String master, List<Request> requests) {
        Redis node = Redis.createClient(vertx, deployment.nodeOptions(master, "history-generation").setMaxPoolSize(1)
                .setMaxWaitingHandlers(KeySlots.SLOTS));
        return Uni.createFrom().completionStage(() -> node.batch(requests).toCompletionStage())
                .onTermination().invoke(node::close);
    }

    /**
     * Re-seeds unless another history replica is doing it: the lock makes it happen once, not once per replica (each
     * would count, log and write every room). Returns whether the markers are back.
     */
    private Uni<Boolean> reseedOnce(Set<Integer> missing) {
        String token = token();
        return redis.execute("SET", RoomKeys.RESEED_LOCK, token, "NX", "PX", Long.toString(LOCK_TTL.toMillis())).chain(locked -> {
            if (locked == null) {
                Log.info("Redis has no generation marker; another history replica is re-seeding the room counters");
                return Uni.createFrom().item(false);
            }
            return reseed(missing).onTermination().call(() -> redis.execute("DEL", RoomKeys.RESEED_LOCK).onFailure().recoverWithNull())
                    .replaceWith(true);
        });
    }

    private Uni<Void> reseed(Set<Integer> missing) {
        generationPresent = false;
        boolean everything = missing == ALL_SLOTS;
        Predicate<String> affected = everything ? room -> true : room -> missing.contains(KeySlots.slot(RoomKeys.seq(room)));
        if (everything) {
            Log.warn("Redis has no generation marker (it lost its data): re-seeding room counters from history");
        } else {
            Log.warnf("%d hash slots of the Redis Cluster have no generation marker (a shard lost its data): re-seeding their rooms from history",
                    missing.size());
        }
        AtomicLong rooms = new AtomicLong();
        AtomicLong reseeded = new AtomicLong();
        AtomicLong records = new AtomicLong();
        // The idempotency records before any counter: while a room has no counter its sends are refused, so a resend
        // can never find its room's counter back and its own record still missing (it would become a second message).
        return idempotency.restore(affected)
                .invoke(records::set)
                .chain(ingest::highestSeen)
                .chain(seen -> {
                    Map<String, Long> unstored = new HashMap<>(seen);
                    unstored.keySet().removeIf(room -> !affected.test(room));
                    return page("", affected, unstored, rooms, reseeded)
                            // What is left are rooms with messages in flight but none stored yet.
                            .chain(() -> restore(unstored.entrySet().stream().map(e -> new Room(e.getKey(), e.getValue(), 0)).toList(),
                                    rooms, reseeded));
                })
                .chain(() -> restoreMarkers(missing))
                .invoke(() -> Log.infof("Re-seeded %d of %d rooms and %d idempotency records from history; Redis generation marker "
                        + "restored", reseeded.get(), rooms.get(), records.get()))
                .replaceWithVoid();
    }

    private Uni<Void> restoreMarkers(Set<Integer> missing) {
        if (missing == ALL_SLOTS) {
            return redis.execute("SET", RoomKeys.GENERATION, token(), "NX").replaceWithVoid();
        }
        String token = token();
        return Uni.createFrom().completionStage(() -> ClusterSlots.read(vertx, deployment, deployment.hosts()).toCompletionStage())
                .chain(slots -> Multi.createFrom().iterable(slots.masters())
                        .onItem().transformToUniAndConcatenate(master -> onNode(master, slotsOf(master, slots).stream()
                                .filter(missing::contains)
                                .map(slot -> Request.cmd(Command.SET).arg(RedisLayout.generationOfSlot(slot)).arg(token).arg("NX"))
                                .toList()))
                        .collect().last())
                .replaceWithVoid();
    }

    /** One page of rooms from PostgreSQL, then the next; rooms handled here are removed from {@code seen}. */
    private Uni<Void> page(String after, Predicate<String> affected, Map<String, Long> seen, AtomicLong rooms, AtomicLong reseeded) {
        return databaseContexts.run(() -> repository.roomMaxima(after, config.pageSize())).chain(maxima -> {
            if (maxima.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            List<Room> batch = maxima.stream().filter(m -> affected.test(m.room())).map(m -> room(m, seen.remove(m.room()))).toList();
            String last = maxima.get(maxima.size() - 1).room();
            Uni<Void> done = restore(batch, rooms, reseeded);
            return maxima.size() < config.pageSize() ? done : done.chain(() -> page(last, affected, seen, rooms, reseeded));
        });
    }

    private static Room room(RoomMax max, Long seen) {
        return new Room(max.room(), Math.max(max.maxSeq(), seen == null ? 0 : seen), max.maxSeq());
    }

    private Uni<Void> restore(List<Room> batch, AtomicLong rooms, AtomicLong reseeded) {
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(batch)
                .filter(room -> room.counter() > 0)
                .onItem().transformToUni(room -> RESEED.run(redis,
                        List.of(RoomKeys.seq(room.name()), RoomKeys.epoch(room.name()), RoomKeys.stored(room.name())),
                        List.of(Long.toString(room.counter()), Long.toString(room.stored()), token()))
                        .invoke(reply -> {
                            rooms.incrementAndGet();
                            if (reply.toInteger() == 1) {
                                reseeded.incrementAndGet();
                            }
                        }))
                .merge(CONCURRENCY)
                .collect().last()
                .replaceWithVoid();
    }

    /** A fresh random token for epochs and the generation marker. */
    private String token() {
        return Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
    }

    /** A room to restore: its counter goes to {@code counter}, its stored position to {@code stored}. */
    private record Room(String name, long counter, long stored) {
    }
}
