package dev.chat.history.reseed;

import dev.chat.common.redis.KeySlots;
import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.history.HistoryConfig;
import dev.chat.history.ingest.MessageIngest;
import dev.chat.history.store.RecentSends;
import dev.chat.history.store.RecentSends.Sent;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Writes back the idempotency records Redis lost with its data: one per message sent with a {@code cid} within the
 * idempotency window, from PostgreSQL and from what ingest holds unstored. Without them, a client whose send was accepted
 * just before Redis went down (its ack lost on the way) would resend after the re-seed and get a second message.
 */
@ApplicationScoped
class IdempotencyRecords {

    private static final LuaScript RESTORE = LuaScript.fromResource("scripts/restore-idempotency.lua");
    /** Sends read from PostgreSQL per query. */
    private static final int PAGE_SIZE = 1000;
    /** Records per script call at most (each call holds Redis for its length). */
    private static final int PER_CALL = 500;
    /** Script calls in flight at once, well inside the Redis client pool. */
    private static final int CONCURRENCY = 4;
    /** This host's clock and Redis's may differ: read a minute more; the script skips what has expired by Redis's clock. */
    private static final long CLOCK_SLACK_MS = 60_000;

    private final ReactiveRedisDataSource redis;
    private final RecentSends sends;
    private final MessageIngest ingest;
    private final HistoryConfig config;
    private final RedisLayout layout;

    IdempotencyRecords(ReactiveRedisDataSource redis, RecentSends sends, MessageIngest ingest, HistoryConfig config, RedisLayout layout) {
        this.layout = layout;
        this.redis = redis;
        this.sends = sends;
        this.ingest = ingest;
        this.config = config;
    }

    /** Restores the records of the rooms {@code affected} selects; returns how many were written. */
    Uni<Long> restore(Predicate<String> affected) {
        long window = config.idempotencyWindow().toMillis();
        long since = System.currentTimeMillis() - window - CLOCK_SLACK_MS;
        AtomicLong written = new AtomicLong();
        // What ingest holds first: a message it stores meanwhile is then in PostgreSQL when the pages are read.
        return ingest.unstoredWithCid()
                .chain(unstored -> write(unstored.stream().map(Sent::of).toList(), affected, window, written))
                .chain(() -> page(since, affected, window, written))
                .map(done -> written.get());
    }

    /**
     * The sends from {@code from} on, a page at a time. A page's last millisecond may go on in the next page, so it is
     * read again there (writing a record twice is harmless: NX); a page that is all one millisecond is read whole.
     */
    private Uni<Void> page(long from, Predicate<String> affected, long window, AtomicLong written) {
        return sends.from(from, PAGE_SIZE).chain(page -> {
            if (page.size() < PAGE_SIZE) {
                return write(page, affected, window, written);
            }
            long last = page.get(page.size() - 1).ts();
            if (page.get(0).ts() == last) {
                return sends.at(last).chain(all -> write(all, affected, window, written)).chain(() -> page(last + 1, affected, window, written));
            }
            return write(page.stream().filter(s -> s.ts() < last).toList(), affected, window, written)
                    .chain(() -> page(last, affected, window, written));
        });
    }

    /**
     * Script calls of at most {@link #PER_CALL} records: any records on one Redis, one hash slot's on a Redis Cluster (a
     * room's keys share its slot). Sends are refused while this runs, so it takes few, full calls.
     */
    private Uni<Void> write(List<Sent> records, Predicate<String> affected, long window, AtomicLong written) {
        Map<Integer, List<Sent>> bySlot = new LinkedHashMap<>();
        records.stream().filter(s -> affected.test(s.room()))
                .forEach(s -> bySlot.computeIfAbsent(layout.cluster() ? KeySlots.slot(RoomKeys.seq(s.room())) : 0, slot -> new ArrayList<>()).add(s));
        if (bySlot.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<List<Sent>> calls = new ArrayList<>();
        for (List<Sent> slot : bySlot.values()) {
            for (int i = 0; i < slot.size(); i += PER_CALL) {
                calls.add(slot.subList(i, Math.min(slot.size(), i + PER_CALL)));
            }
        }
        return Multi.createFrom().iterable(calls)
                .onItem().transformToUni(call -> RESTORE.run(redis, keys(call), args(call, window)).invoke(n -> written.addAndGet(n.toLong())))
                .merge(CONCURRENCY)
                .collect().last()
                .replaceWithVoid();
    }

    private static List<String> keys(List<Sent> call) {
        return call.stream().map(s -> RoomKeys.idempotency(s.room(), s.sender(), s.cid())).toList();
    }

    private static List<String> args(List<Sent> call, long window) {
        List<String> args = new ArrayList<>(1 + 2 * call.size());
        args.add(Long.toString(window));
        for (Sent s : call) {
            args.add(Long.toString(s.seq()));
            args.add(Long.toString(s.ts()));
        }
        return args;
    }
}
