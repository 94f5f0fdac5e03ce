package dev.chat.history.unread;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-user room list built from room memberships and read positions (tables of Flyway's V2 migration), which
 * {@link ActivityWriter} stores.
 */
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
     * <li>lastSeq and the activity time come from the room's row in {@code rooms}, one probe;</li>
     * <li>only the {@code limit} most recently active rooms (and one more, to tell whether there are more) get their
     * read position and unread count, and only they are returned.</li>
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
            ),
            latest(room, last_seq, activity) as (
                select r.room, coalesce(last.last_seq, 0), coalesce(nullif(last.last_ts, 0), member.joined_at, 0) as activity
                from user_rooms r
                left join rooms last on last.room = r.room
                left join room_members member on member.user_id = :user and member.room = r.room
                order by activity desc, r.room
                limit :limit + 1
            )
            select k.room,
                   k.last_seq,
                   coalesce(mark.seq, 0),
                   coalesce(past.unread, 0),
                   coalesce(past.seen, 0) > :cap,
                   k.activity
            from latest k
            left join read_markers mark on mark.user_id = :user and mark.room = k.room
            left join lateral (select count(*) filter (where x.sender <> :user) as unread, count(*) as seen
                               from (select m.sender from messages m where m.room = k.room and m.seq > coalesce(mark.seq, 0)
                                     order by m.seq limit :cap + 1) x) past on true
            order by k.activity desc, k.room
            """;

    /** The caller's {@code limit} most recently active rooms, and one more if there is one; unread counts stop at {@code cap}. */
    @WithSession
    public Uni<List<RoomUnread>> rooms(String user, int cap, int limit) {
        return Panache.getSession().chain(session -> session.createNativeQuery(ROOMS, Object[].class)
                .setParameter("user", user)
                .setParameter("cap", cap)
                .setParameter("limit", limit)
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

    private static long number(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }
}
