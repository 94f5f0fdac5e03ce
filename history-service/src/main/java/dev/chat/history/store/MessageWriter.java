package dev.chat.history.store;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ingest's one write: a whole batch in one fixed SQL statement (arrays bound as parameters, so PostgreSQL parses and
 * plans it once per connection), one round trip, straight on the reactive PG client: at thousands of messages a
 * second an ORM session per batch costs more CPU than the rest of ingest.
 */
@Singleton
public class MessageWriter {

    /**
     * Rows in (room, seq) order, so two history replicas writing overlapping batches lock rows in the same order and
     * never deadlock. A (room, seq) already stored is skipped (a message received live and from the log, or by two
     * replicas); one stored with other content is returned, since it means Redis handed out a seq twice. The check
     * joins against the statement's snapshot, which holds neither this statement's inserts nor a concurrent replica's
     * uncommitted ones, so a duplicate being written at the same moment is never taken for a conflict.
     * <p>
     * The room's stored position moves in the same statement when the batch extends it without a gap ({@code runs}:
     * the seqs right above it, consecutive), so a reader never sees a message without the position that lets the
     * replay API show it; ingest's own positions ($8, $9) cover the rest (gaps filled later, losses).
     */
    public static final String BATCH = """
            with input as (
                select distinct on (room, seq) room, seq, sender, text, ts, cid, from_log
                from unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::boolean[])
                     as t(room, seq, sender, text, ts, cid, from_log)
                order by room, seq, from_log
            ),
            ins as (
                insert into messages (room, seq, sender, text, ts, cid)
                select room, seq, sender, text, ts, cid from input order by room, seq
                on conflict (room, seq) do nothing
                returning room, seq, ts
            ),
            ahead as (
                select i.room, i.seq, coalesce(r.stored_seq, 0) as base,
                       i.seq - row_number() over (partition by i.room order by i.seq) as k
                from input i left join rooms r on r.room = i.room
                where i.seq > coalesce(r.stored_seq, 0)
            ),
            runs as (
                select room, max(seq) as run_end from ahead where k = base group by room
            ),
            touched as (
                select room, max(last_seq) as last_seq, max(last_ts) as last_ts, max(stored_seq) as stored_seq from (
                    select room, seq as last_seq, ts as last_ts, 0::bigint as stored_seq from ins
                    union all
                    select room, 0, 0, stored_seq from unnest($8::text[], $9::bigint[]) as w(room, stored_seq)
                    union all
                    select room, 0, 0, run_end from runs
                ) u group by room
            ),
            rooms_upd as (
                insert into rooms (room, last_seq, last_ts, stored_seq)
                select room, last_seq, last_ts, stored_seq from touched order by room
                on conflict (room) do update set last_seq = greatest(rooms.last_seq, excluded.last_seq),
                    last_ts = greatest(rooms.last_ts, excluded.last_ts), stored_seq = greatest(rooms.stored_seq, excluded.stored_seq)
                where excluded.last_seq > rooms.last_seq or excluded.stored_seq > rooms.stored_seq
            )
            select null::text, null::bigint, null::text, null::text, (select count(*) from ins)::bigint,
                   (select count(*) from ins join input i on i.room = ins.room and i.seq = ins.seq where i.from_log)::bigint
            union all
            select m.room, m.seq, m.sender, m.text, m.ts, 0
            from input i join messages m on m.room = i.room and m.seq = i.seq
            where (m.sender, m.text, m.ts) is distinct from (i.sender, i.text, i.ts)
            """;

    /**
     * Room memberships, in (user, room) order like every writer of {@code room_members}, so none can deadlock another; a
     * row already there keeps its time. Ingest records what a batch implies with it, {@code ActivityWriter} the joins.
     */
    public static final String INSERT_MEMBERSHIPS = """
            insert into room_members (user_id, room, joined_at)
            select user_id, room, joined_at from unnest($1::text[], $2::text[], $3::bigint[]) as j(user_id, room, joined_at)
            order by user_id, room
            on conflict (user_id, room) do nothing""";

    /** Rooms with messages stored above the stored position: a gap still open, or a position write a crash cut off. */
    static final String AHEAD_OF_POSITION = "select room, stored_seq from rooms where last_seq > stored_seq order by room limit $1";

    private final Pool pool;

    public MessageWriter(Pool pool) {
        this.pool = pool;
    }

    /** Up to {@code limit} rooms with messages stored above their stored position, with that position. */
    public Uni<Map<String, Long>> roomsAheadOfTheirPosition(int limit) {
        return pool.preparedQuery(AHEAD_OF_POSITION).execute(Tuple.of(limit)).map(rows -> {
            Map<String, Long> rooms = new HashMap<>();
            for (Row row : rows) {
                rooms.put(row.getString(0), row.getLong(1));
            }
            return rooms;
        });
    }

    /**
     * Writes the batch in one statement (atomic on its own), and in the same transaction the memberships it implies, if it
     * brings any: a message is never stored without its room in its sender's and recipient's lists, and a retried batch
     * writes both again. A transaction takes rooms' and messages' locks before memberships', in key order, like every
     * other ingest write, so two replicas cannot deadlock.
     */
    public Uni<BatchOutcome> write(MessageBatch batch) {
        List<ChatMessage> messages = batch.messages();
        int n = messages.size();
        String[] rooms = new String[n];
        Long[] seqs = new Long[n];
        String[] senders = new String[n];
        String[] texts = new String[n];
        Long[] tss = new Long[n];
        String[] cids = new String[n];
        Boolean[] fromLog = new Boolean[n];
        Map<String, ChatMessage> offered = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            ChatMessage m = messages.get(i);
            rooms[i] = m.room();
            seqs[i] = m.seq();
            senders[i] = m.from();
            texts[i] = m.text();
            tss[i] = m.ts();
            cids[i] = m.cid();
            fromLog[i] = batch.fromLog().get(i);
        }
        // Sorted, like the messages, for the same lock order.
        TreeMap<String, Long> positions = new TreeMap<>(batch.storedPositions());
        String[] positionRooms = positions.keySet().toArray(new String[0]);
        Long[] positionSeqs = positions.values().toArray(new Long[0]);
        Tuple params = Tuple.tuple(List.of(rooms, seqs, senders, texts, tss, cids, fromLog, positionRooms, positionSeqs));
        List<RoomMembership> joined = batch.memberships();
        Uni<RowSet<Row>> written = joined.isEmpty()
                ? pool.preparedQuery(BATCH).execute(params)
                : pool.withTransaction(connection -> connection.preparedQuery(BATCH).execute(params)
                        .call(() -> connection.preparedQuery(INSERT_MEMBERSHIPS).execute(Tuple.of(
                                joined.stream().map(RoomMembership::user).toArray(String[]::new),
                                joined.stream().map(RoomMembership::room).toArray(String[]::new),
                                joined.stream().map(RoomMembership::since).toArray(Long[]::new)))));
        return written.map(rows -> {
            long inserted = 0;
            long insertedFromLog = 0;
            List<BatchOutcome.Conflict> conflicts = List.of();
            for (Row row : rows) {
                String room = row.getString(0);
                if (room == null) {
                    inserted = row.getLong(4);
                    insertedFromLog = row.getLong(5);
                    continue;
                }
                if (conflicts.isEmpty()) {
                    conflicts = new ArrayList<>();
                    for (ChatMessage m : messages) {
                        offered.put(m.room() + '\u0000' + m.seq(), m);
                    }
                }
                long seq = row.getLong(1);
                ChatMessage mine = offered.get(room + '\u0000' + seq);
                conflicts.add(new BatchOutcome.Conflict(mine, row.getString(2), row.getString(3), row.getLong(4)));
            }
            return new BatchOutcome(inserted, insertedFromLog, conflicts);
        });
    }
}
