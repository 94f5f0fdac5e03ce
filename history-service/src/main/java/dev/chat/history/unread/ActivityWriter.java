package dev.chat.history.unread;

import dev.chat.history.HistoryConfig;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Stores a batch of the activity stream (joins and read positions) in one fixed SQL statement, arrays bound as
 * parameters, on the reactive PG client, like ingest's message writes. A statement whose text grew with the batch (one
 * VALUES row per entry) was parsed by Hibernate and prepared by PostgreSQL anew for every batch size, and a connect
 * storm writes thousands of joins in batches of every size.
 */
@Singleton
public class ActivityWriter {

    /**
     * Both parts are idempotent and order-free (a join keeps the first row, a read position only ever rises), so entries
     * delivered twice or out of order change nothing. Rows go in (user, room) order, so two history replicas storing
     * overlapping batches lock them in the same order and never deadlock. The joins' insert is a data-modifying WITH,
     * which PostgreSQL runs to completion whether or not the statement reads it; one statement, so no transaction.
     */
    static final String BATCH = """
            with joins as (
                insert into room_members (user_id, room, joined_at)
                select user_id, room, joined_at from unnest($1::text[], $2::text[], $3::bigint[]) as j(user_id, room, joined_at)
                order by user_id, room
                on conflict (user_id, room) do nothing
            )
            insert into read_markers (user_id, room, seq, updated_at)
            select user_id, room, seq, updated_at
            from unnest($4::text[], $5::text[], $6::bigint[], $7::bigint[]) as r(user_id, room, seq, updated_at)
            order by user_id, room
            on conflict (user_id, room) do update set seq = greatest(read_markers.seq, excluded.seq),
                updated_at = greatest(read_markers.updated_at, excluded.updated_at)
            where excluded.seq > read_markers.seq or excluded.updated_at > read_markers.updated_at
            """;

    /**
     * Of the users in {@code $1}, those who hold more than a tenth past {@code $2} rooms in either table lose the rooms
     * past the {@code $2} they were last active in: memberships by the later of the join and the user's read position
     * there, read positions by their time. Each user's rows are ranked on the primary key's range. The read positions
     * it may delete are locked first, skipping any a concurrent write holds, so it never waits on BATCH (whose upserts
     * lock read positions in key order) and the two cannot deadlock; a row changed since it was ranked, or a membership
     * whose read position changed, stays.
     */
    static final String TRIM = """
            with crowded as (
                select user_id from room_members where user_id = any($1::text[])
                group by user_id having count(*) > $2::bigint + $2::bigint / 10
                union
                select user_id from read_markers where user_id = any($1::text[])
                group by user_id having count(*) > $2::bigint + $2::bigint / 10
            ),
            marks as materialized (
                select user_id, room, updated_at from read_markers
                where user_id in (select user_id from crowded)
                for update skip locked
            ),
            old_joins as (
                delete from room_members m using (
                    select u.user_id, old.room, old.joined_at, old.read_at
                    from crowded u
                    cross join lateral (
                        select j.room, j.joined_at, r.updated_at as read_at from room_members j
                        left join read_markers r on r.user_id = j.user_id and r.room = j.room
                        where j.user_id = u.user_id
                        order by greatest(j.joined_at, coalesce(r.updated_at, 0)) desc, j.room desc
                        offset $2::bigint) old
                ) o
                where m.user_id = o.user_id and m.room = o.room and m.joined_at = o.joined_at
                    and (o.read_at is null
                         or exists (select 1 from marks k where k.user_id = o.user_id and k.room = o.room and k.updated_at = o.read_at))
            )
            delete from read_markers m using (
                select u.user_id, old.room, old.updated_at
                from crowded u
                cross join lateral (
                    select r.room, r.updated_at from read_markers r
                    where r.user_id = u.user_id
                    order by r.updated_at desc, r.room desc
                    offset $2::bigint) old
            ) o, marks k
            where m.user_id = o.user_id and m.room = o.room
                and k.user_id = o.user_id and k.room = o.room and k.updated_at = o.updated_at
            """;

    private static final int SEEN_LIMIT = 10_000;

    private final Pool pool;
    private final int roomsPerUser;
    private final long trimIntervalNanos;
    private final AtomicLong lastTrim;
    /** The users stored since the last trim, whom it checks; bounded (a client that keeps adding rooms is in every second's flush). */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    public ActivityWriter(Pool pool, HistoryConfig config) {
        this.pool = pool;
        this.roomsPerUser = Math.max(0, config.activity().roomsPerUser());
        this.trimIntervalNanos = config.activity().trimInterval().toNanos();
        // The first is due at once.
        this.lastTrim = new AtomicLong(System.nanoTime() - trimIntervalNanos);
    }

    /**
     * Stores the entries; a (user, room) that appears more than once is written once, with its earliest join or highest
     * read. Once the trim interval has passed since the last trim, the next stored batch is followed by one: the users
     * stored since (up to {@value #SEEN_LIMIT}) who are past the bound lose their least recently active rooms. A client
     * that joins or marks ever new room names within its rate limits would otherwise grow both tables without end;
     * ordinary batches pay nothing for it. The trim is best effort: a failure is logged, and the entries are stored either way.
     */
    public Uni<Void> write(List<ActivityEntry> entries) {
        // PostgreSQL refuses an upsert that touches the same row twice in one statement.
        Map<String, ActivityEntry> joins = new HashMap<>();
        Map<String, ActivityEntry> reads = new HashMap<>();
        for (ActivityEntry e : entries) {
            String key = e.user() + '\u0000' + e.room();
            if (e.kind() == ActivityEntry.Kind.JOIN) {
                joins.merge(key, e, (a, b) -> a.ts() <= b.ts() ? a : b);
            } else {
                reads.merge(key, e, (a, b) -> new ActivityEntry(a.kind(), a.user(), a.room(), Math.max(a.seq(), b.seq()),
                        Math.max(a.ts(), b.ts())));
            }
        }
        List<ActivityEntry> j = List.copyOf(joins.values());
        List<ActivityEntry> r = List.copyOf(reads.values());
        Tuple params = Tuple.tuple(List.of(strings(j, ActivityEntry::user), strings(j, ActivityEntry::room), longs(j, ActivityEntry::ts),
                strings(r, ActivityEntry::user), strings(r, ActivityEntry::room), longs(r, ActivityEntry::seq), longs(r, ActivityEntry::ts)));
        return pool.preparedQuery(BATCH).execute(params).chain(() -> {
            if (roomsPerUser == 0) {
                return Uni.createFrom().voidItem();
            }
            for (ActivityEntry e : entries) {
                if (seen.size() >= SEEN_LIMIT) {
                    break;
                }
                seen.add(e.user());
            }
            return trimDue() ? trim() : Uni.createFrom().voidItem();
        });
    }

    /** Whether a trim is due now; takes it if so. */
    private boolean trimDue() {
        long now = System.nanoTime();
        long last = lastTrim.get();
        return now - last >= trimIntervalNanos && lastTrim.compareAndSet(last, now);
    }

    private Uni<Void> trim() {
        String[] users = seen.toArray(String[]::new);
        seen.clear();
        return pool.preparedQuery(TRIM).execute(Tuple.of(users, (long) roomsPerUser)).replaceWithVoid()
                .onFailure().recoverWithItem(e -> {
                    Log.warnf("Trimming the rooms of users past %d each failed (%s); the next trim tries again", roomsPerUser, e.getMessage());
                    return null;
                });
    }

    /** One of the statement's array parameters: a field of every entry, in the same order. */
    private static String[] strings(List<ActivityEntry> entries, Function<ActivityEntry, String> field) {
        return entries.stream().map(field).toArray(String[]::new);
    }

    private static Long[] longs(List<ActivityEntry> entries, ToLongFunction<ActivityEntry> field) {
        return entries.stream().map(e -> field.applyAsLong(e)).toArray(Long[]::new);
    }
}
