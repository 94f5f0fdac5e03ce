package dev.chat.history.unread;

import dev.chat.history.store.MessageWriter;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
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
     * overlapping batches lock them in the same order and never deadlock. The joins' insert is a data-modifying WITH,
     * which PostgreSQL runs to completion whether or not the statement reads it; one statement, so no transaction.
     */
    static final String BATCH = """
            with joins as (
            """ + MessageWriter.INSERT_MEMBERSHIPS + """
            )
            insert into read_markers (user_id, room, seq, updated_at)
            select user_id, room, seq, updated_at
            from unnest($4::text[], $5::text[], $6::bigint[], $7::bigint[]) as r(user_id, room, seq, updated_at)
            order by user_id, room
            on conflict (user_id, room) do update set seq = greatest(read_markers.seq, excluded.seq),
                updated_at = greatest(read_markers.updated_at, excluded.updated_at)
            where excluded.seq > read_markers.seq or excluded.updated_at > read_markers.updated_at
            """;

    private final Pool pool;
    private final RoomsPerUserBound bound;

    public ActivityWriter(Pool pool, RoomsPerUserBound bound) {
        this.pool = pool;
        this.bound = bound;
    }

    /**
     * Stores the entries; a (user, room) that appears more than once is written once, with its earliest join or highest
     * read. Then the per-user bound has its turn ({@link RoomsPerUserBound}).
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
        return pool.preparedQuery(BATCH).execute(params).chain(() -> bound.stored(entries));
    }

    /** One of the statement's array parameters: a field of every entry, in the same order. */
    private static String[] strings(List<ActivityEntry> entries, Function<ActivityEntry, String> field) {
        return entries.stream().map(field).toArray(String[]::new);
    }

    private static Long[] longs(List<ActivityEntry> entries, ToLongFunction<ActivityEntry> field) {
        return entries.stream().map(e -> field.applyAsLong(e)).toArray(Long[]::new);
    }
}
