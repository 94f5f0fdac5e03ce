package dev.chat.history.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored messages sent with a {@code cid} since a time, for restoring idempotency records after Redis lost its data.
 * Both reads walk the {@code messages_ts} index in ts order and stop at their limit.
 */
@ApplicationScoped
public class RecentSends {

    private static final String FROM = "select room, seq, sender, ts, cid from messages where ts >= $1 and cid is not null order by ts limit $2";
    private static final String AT = "select room, seq, sender, ts, cid from messages where ts = $1 and cid is not null";

    private final Pool pool;

    public RecentSends(Pool pool) {
        this.pool = pool;
    }

    /** Up to {@code limit} sends with {@code ts >= from}, in ts order. */
    public Uni<List<Sent>> from(long from, int limit) {
        return pool.preparedQuery(FROM).execute(Tuple.of(from, limit)).map(RecentSends::sends);
    }

    /** Every send with exactly this {@code ts} (for when more than a page share one millisecond). */
    public Uni<List<Sent>> at(long ts) {
        return pool.preparedQuery(AT).execute(Tuple.of(ts)).map(RecentSends::sends);
    }

    private static List<Sent> sends(RowSet<Row> rows) {
        List<Sent> sends = new ArrayList<>(rows.size());
        for (Row row : rows) {
            sends.add(new Sent(row.getString(0), row.getLong(1), row.getString(2), row.getLong(3), row.getString(4)));
        }
        return sends;
    }

    /** A message's place in the room and who sent it under which {@code cid}: what its idempotency record says. */
    public record Sent(String room, long seq, String sender, long ts, String cid) {

        public static Sent of(ChatMessage message) {
            return new Sent(message.room(), message.seq(), message.from(), message.ts(), message.cid());
        }
    }
}
