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
     * there, read positions by their time. Each user's rows are ranked on the primary key's range. A row another statement
     * changed meanwhile no longer matches what was ranked and stays.
     */
    static final String TRIM = """
            with crowded as (
                select user_id from room_members where user_id = any($1::text[])
                group by user_id having count(*) > $2::bigint + $2::bigint / 10
                union
                select user_id from read_markers where user_id = any($1::text[])
                group by user_id having count(*) > $2::bigint + $2::bigint / 10
            ),
            old_joins as (
                delete from room_members m using (
                    select u.user_id, old.room, old.joined_at
                    from crowded u
                    cross join lateral (
                        select j.room, j.joined_at from room_members j
                        left join read_markers r on r.user_id = j.user_id and r.room = j.room
                        where j.user_id = u.user_id
                        order by greatest(j.joined_at, coalesce(r.updated_at, 0)) desc, j.room desc
                        offset $2::bigint) old
                ) o
                where m.user_id = o.user_id and m.room = o.room and m.joined_at = o.joined_at
            )
            delete from read_markers m using (
                select u.user_id, old.room, old.updated_at
                from crowded u
                cross join lateral (
                    select r.room, r.updated_at from read_markers r
                    where r.user_id = u.user_id
                    order by r.updated_at desc, r.room desc
                    offset $2::bigint) old
            ) o
            where m.user_id = o.user_id and m.room = o.room and m.updated_at = o.updated_at
            """;

    private final Pool pool;
    private final int roomsPerUser;
    private final long trimIntervalMillis;
    private final AtomicLong nextTrim = new AtomicLong();

    public ActivityWriter(Pool pool, HistoryConfig config) {
        this.pool = pool;
        this.roomsPerUser = Math.max(0, config.activity().roomsPerUser());
        this.trimIntervalMillis = config.activity().trimInterval().toMillis();
    }

    /**
     * Stores the entries; a (user, room) that appears more than once is written once, with its earliest join or highest
     * read. At most once per trim interval, the batch's users past the bound then lose their least recently active rooms:
     * a client that joins or marks ever new room names within its rate limits would otherwise grow both tables without
     * end. Such a client is in nearly every batch (gateways flush activity every second), so a check per interval finds it
     * well within the bound's tenth of slack, and ordinary batches pay nothing for it. The trim is best effort: it fails
     * alone, logged, and the entries are stored either way.
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
        Uni<Void> stored = pool.preparedQuery(BATCH).execute(params).replaceWithVoid();
        return trimDue() ? stored.chain(() -> trim(entries)) : stored;
    }

    private boolean trimDue() {
        if (roomsPerUser == 0) {
            return false;
        }
        long now = System.currentTimeMillis();
        long due = nextTrim.get();
        return now >= due && nextTrim.compareAndSet(due, now + trimIntervalMillis);
    }

    private Uni<Void> trim(List<ActivityEntry> entries) {
        String[] users = entries.stream().map(ActivityEntry::user).distinct().toArray(String[]::new);
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
