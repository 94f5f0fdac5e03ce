package dev.chat.history.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored messages sent with a {@code cid} since a time, for restoring idempotency records after Redis lost its data.
 * Keyset paging in (ts, room, seq) order, so each page is a range scan of the {@code messages_ts} index.
 */
@ApplicationScoped
public class RecentSends {

    private static final String PAGE = """
            select room, seq, sender, ts, cid from messages
            where ts >= $1 and cid is not null and (ts, room, seq) > ($2, $3, $4)
            order by ts, room, seq limit $5""";

    private final Pool pool;

    public RecentSends(Pool pool) {
        this.pool = pool;
    }

    /** Up to {@code limit} sends with {@code ts >= since}, after {@code after} (null for the first page). */
    public Uni<List<Sent>> page(long since, Sent after, int limit) {
        Tuple params = after == null ? Tuple.of(since, since, "", 0L, limit) : Tuple.of(since, after.ts(), after.room(), after.seq(), limit);
        return pool.preparedQuery(PAGE).execute(params).map(rows -> {
            List<Sent> page = new ArrayList<>(rows.size());
            for (Row row : rows) {
                page.add(new Sent(row.getString(0), row.getLong(1), row.getString(2), row.getLong(3), row.getString(4)));
            }
            return page;
        });
    }

    /** A message's place in the room and who sent it under which {@code cid}: what its idempotency record says. */
    public record Sent(String room, long seq, String sender, long ts, String cid) {

        public static Sent of(ChatMessage message) {
            return new Sent(message.room(), message.seq(), message.from(), message.ts(), message.cid());
        }
    }
}
