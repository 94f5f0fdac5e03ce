package dev.chat.history.unread;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hibernate.reactive.mutiny.Mutiny;

/** Room memberships and read positions (tables of Flyway's V2 migration), and the per-user room list built from them. */
@ApplicationScoped
public class UnreadRepository {

    /**
     * The caller's rooms: posted in, joined, or their direct-message rooms, each with its highest stored seq, the
     * caller's read position and the unread count, most recent activity first (the last message's ts, or the join time
     * for a room without messages). Every step is an index probe or an index-only range scan (see V2__unread.sql):
     * <ul>
     * <li>posted / dm_lower / dm_higher: a loose index scan, the next room after the previous one, one probe per room
     * however many messages the user has (PostgreSQL has no skip scan of its own);</li>
     * <li>unread: the messages past the read position that someone else sent, looking at no more than {@code cap + 1}
     * of them, so a count costs O(rooms) whatever the backlog; past the cap it answers {@code cap} and
     * {@code unreadCapped};</li>
     * <li>lastSeq and the activity time come from the room's row in {@code rooms}, one probe.</li>
     * </ul>
     */
    private static final String ROOMS = """
            with recursive
            posted(room) as (
                (select m.room from messages m where m.sender = :user order by m.room limit 1)
                union all
                select (select m.room from messages m where m.sender = :user and m.room > p.room order by m.room limit 1)
                from posted p where p.room is not null
            ),
            dm_lower(room) as (
                (select m.room from messages m
                 where m.room like 'dm:%' and split_part(m.room, ':', 2) = :user order by m.room limit 1)
                union all
                select (select m.room from messages m
                        where m.room like 'dm:%' and split_part(m.room, ':', 2) = :user and m.room > d.room order by m.room limit 1)
                from dm_lower d where d.room is not null
            ),
            dm_higher(room) as (
                (select m.room from messages m
                 where m.room like 'dm:%' and split_part(m.room, ':', 3) = :user order by m.room limit 1)
                union all
                select (select m.room from messages m
                        where m.room like 'dm:%' and split_part(m.room, ':', 3) = :user and m.room > d.room order by m.room limit 1)
                from dm_higher d where d.room is not null
            ),
            user_rooms(room) as (
                select room from posted where room is not null
                union select room from dm_lower where room is not null
                union select room from dm_higher where room is not null
                union select room from room_members where user_id = :user
            )
            select r.room,
                   coalesce(last.last_seq, 0),
                   coalesce(mark.seq, 0),
                   coalesce(past.unread, 0),
                   coalesce(past.seen, 0) > :cap,
                   coalesce(nullif(last.last_ts, 0), member.joined_at, 0) as activity
            from user_rooms r
            left join rooms last on last.room = r.room
            left join read_markers mark on mark.user_id = :user and mark.room = r.room
            left join room_members member on member.user_id = :user and member.room = r.room
            left join lateral (select count(*) filter (where x.sender <> :user) as unread, count(*) as seen
                               from (select m.sender from messages m where m.room = r.room and m.seq > coalesce(mark.seq, 0)
                                     order by m.seq limit :cap + 1) x) past on true
            order by activity desc, r.room
            """;

    /** The caller's rooms; unread counts stop at {@code cap}. */
    @WithSession
    public Uni<List<RoomUnread>> rooms(String user, int cap) {
        return Panache.getSession().chain(session -> session.createNativeQuery(ROOMS, Object[].class)
                .setParameter("user", user)
                .setParameter("cap", cap)
                .getResultList())
                .map(rows -> {
                    List<RoomUnread> rooms = new ArrayList<>(rows.size());
                    for (Object[] row : rows) {
                        long unread = Math.min(cap, Math.max(0, number(row[3])));
                        rooms.add(new RoomUnread((String) row[0], number(row[1]), number(row[2]), unread, Boolean.TRUE.equals(row[4])));
                    }
                    return rooms;
                });
    }

    /**
     * Stores a batch of activity in one transaction. Both statements are idempotent and order-free (a join keeps the
     * first row, a read position only ever rises), so entries delivered twice or out of order change nothing.
     */
    @WithTransaction
    public Uni<Void> apply(List<ActivityEntry> entries) {
        // One row per (user, room) and statement: PostgreSQL refuses an upsert that touches the same row twice. Sorted,
        // so two history replicas storing overlapping batches lock rows in the same order and never deadlock.
        Map<String, ActivityEntry> joins = new TreeMap<>();
        Map<String, ActivityEntry> reads = new TreeMap<>();
        for (ActivityEntry e : entries) {
            String key = e.user() + '\u0000' + e.room();
            if (e.kind() == ActivityEntry.Kind.JOIN) {
                joins.merge(key, e, (a, b) -> a.ts() <= b.ts() ? a : b);
            } else {
                reads.merge(key, e, (a, b) -> new ActivityEntry(a.kind(), a.user(), a.room(), Math.max(a.seq(), b.seq()),
                        Math.max(a.ts(), b.ts())));
            }
        }
        return Panache.getSession().chain(session -> insertJoins(session, List.copyOf(joins.values()))
                .chain(() -> upsertReads(session, List.copyOf(reads.values()))));
    }

    private static Uni<Void> insertJoins(Mutiny.Session session, List<ActivityEntry> joins) {
        if (joins.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        StringBuilder sql = new StringBuilder("insert into room_members (user_id, room, joined_at) values ");
        for (int i = 0; i < joins.size(); i++) {
            sql.append(i > 0 ? ", " : "").append("(cast(:u").append(i).append(" as text), cast(:r").append(i)
                    .append(" as text), cast(:t").append(i).append(" as bigint))");
        }
        sql.append(" on conflict (user_id, room) do nothing");
        Mutiny.Query<Object> query = session.createNativeQuery(sql.toString());
        for (int i = 0; i < joins.size(); i++) {
            ActivityEntry e = joins.get(i);
            query.setParameter("u" + i, e.user()).setParameter("r" + i, e.room()).setParameter("t" + i, e.ts());
        }
        return query.executeUpdate().replaceWithVoid();
    }

    private static Uni<Void> upsertReads(Mutiny.Session session, List<ActivityEntry> reads) {
        if (reads.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        StringBuilder sql = new StringBuilder("insert into read_markers (user_id, room, seq, updated_at) values ");
        for (int i = 0; i < reads.size(); i++) {
            sql.append(i > 0 ? ", " : "").append("(cast(:u").append(i).append(" as text), cast(:r").append(i)
                    .append(" as text), cast(:s").append(i).append(" as bigint), cast(:t").append(i).append(" as bigint))");
        }
        // Several devices report positions in any order: the highest wins. The WHERE skips rewriting the row when a
        // redelivered or older entry would change nothing.
        sql.append(" on conflict (user_id, room) do update set seq = greatest(read_markers.seq, excluded.seq),"
                + " updated_at = greatest(read_markers.updated_at, excluded.updated_at)"
                + " where excluded.seq > read_markers.seq or excluded.updated_at > read_markers.updated_at");
        Mutiny.Query<Object> query = session.createNativeQuery(sql.toString());
        for (int i = 0; i < reads.size(); i++) {
            ActivityEntry e = reads.get(i);
            query.setParameter("u" + i, e.user()).setParameter("r" + i, e.room()).setParameter("s" + i, e.seq())
                    .setParameter("t" + i, e.ts());
        }
        return query.executeUpdate().replaceWithVoid();
    }

    private static long number(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }
}
