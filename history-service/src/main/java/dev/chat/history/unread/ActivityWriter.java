package dev.chat.history.unread;

import dev.chat.history.HistoryConfig;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
     * overlapping batches lock them in the same order and never deadlock. The inserts are data-modifying WITHs, which
     * PostgreSQL runs to completion whether or not the statement reads them; one statement, so no transaction. It answers
     * the batch's users who hold more than a tenth past {@code $8} rooms in either table (counted before the batch, on the
     * primary key; none when {@code $8} is 0).
     */
    static final String BATCH = """
            with joins as (
                insert into room_members (user_id, room, joined_at)
                select user_id, room, joined_at from unnest($1::text[], $2::text[], $3::bigint[]) as j(user_id, room, joined_at)
                order by user_id, room
                on conflict (user_id, room) do nothing
            ),
            reads as (
                insert into read_markers (user_id, room, seq, updated_at)
                select user_id, room, seq, updated_at
                from unnest($4::text[], $5::text[], $6::bigint[], $7::bigint[]) as r(user_id, room, seq, updated_at)
                order by user_id, room
                on conflict (user_id, room) do update set seq = greatest(read_markers.seq, excluded.seq),
                    updated_at = greatest(read_markers.updated_at, excluded.updated_at)
                where excluded.seq > read_markers.seq or excluded.updated_at > read_markers.updated_at
            )
            select user_id from room_members where $8::bigint > 0 and user_id = any($1::text[])
            group by user_id having count(*) > $8::bigint + $8::bigint / 10
            union
            select user_id from read_markers where $8::bigint > 0 and user_id = any($4::text[])
            group by user_id having count(*) > $8::bigint + $8::bigint / 10
            """;

    /**
     * Deletes the rooms of each user in {@code $1} past the {@code $2} they were last active in: memberships by the later
     * of the join and the user's read position there, read positions by their time. Each user's rows are ranked on the
     * primary key's range. A row another statement changed meanwhile no longer matches what was ranked and stays.
     */
    static final String PRUNE = """
            with old_joins as (
                delete from room_members m using (
                    select u.user_id, old.room, old.joined_at
                    from unnest($1::text[]) as u(user_id)
                    cross join lateral (
                        select j.room, j.joined_at from room_members j
                        left join read_markers r on r.user_id = j.user_id and r.room = j.room
                        where j.user_id = u.user_id
                        order by greatest(j.joined_at, coalesce(r.updated_at, 0)) desc, j.room desc
                        offset $2) old
                ) o
                where m.user_id = o.user_id and m.room = o.room and m.joined_at = o.joined_at
            )
            delete from read_markers m using (
                select u.user_id, old.room, old.updated_at
                from unnest($1::text[]) as u(user_id)
                cross join lateral (
                    select r.room, r.updated_at from read_markers r
                    where r.user_id = u.user_id
                    order by r.updated_at desc, r.room desc
                    offset $2) old
            ) o
            where m.user_id = o.user_id and m.room = o.room and m.updated_at = o.updated_at
            """;

    private final Pool pool;
    private final int roomsPerUser;

    public ActivityWriter(Pool pool, HistoryConfig config) {
        this.pool = pool;
        this.roomsPerUser = Math.max(0, config.activity().roomsPerUser());
    }

    /**
     * Stores the entries; a (user, room) that appears more than once is written once, with its earliest join or highest
     * read. Then, for users of the batch past the bound, their least recently active rooms go: a client that joins or
     * marks ever new room names within its rate limits would otherwise grow both tables without end. That cleanup is
     * best effort (it fails alone, logged, and the next batch of the user tries again): the entries are stored either way.
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
                strings(r, ActivityEntry::user), strings(r, ActivityEntry::room), longs(r, ActivityEntry::seq), longs(r, ActivityEntry::ts),
                (long) roomsPerUser));
        return pool.preparedQuery(BATCH).execute(params).chain(crowded -> {
            if (crowded.size() == 0) {
                return Uni.createFrom().voidItem();
            }
            List<String> users = new ArrayList<>(crowded.size());
            crowded.forEach(row -> users.add(row.getString(0)));
            return pool.preparedQuery(PRUNE).execute(Tuple.of(users.toArray(String[]::new), (long) roomsPerUser)).replaceWithVoid()
                    .onFailure().recoverWithItem(e -> {
                        Log.warnf("Trimming the rooms of %d users past %d each failed (%s); their next batch tries again",
                                users.size(), roomsPerUser, e.getMessage());
                        return null;
                    });
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
