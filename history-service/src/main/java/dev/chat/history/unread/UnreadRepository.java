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
     * The caller's rooms: their rows of {@code room_members}, which hold the rooms they joined, posted in or were sent
     * direct messages in (ingest writes the last two with the messages: PostedRooms), each with its highest stored seq,
     * the caller's read position and the unread count, most recent activity first (the last message's ts, or the join
     * time for a room without messages). One range of the primary key holds the user's memberships, at most the
     * rooms-per-user bound of them (RoomsPerUserBound); every other step is an index probe per room:
     * <ul>
     * <li>unread: the messages past the read position that someone else sent, looking at no more than {@code cap + 1}
     * of them, so a count costs O(rooms) whatever the backlog; past the cap it answers {@code cap} and
     * {@code unreadCapped};</li>
     * <li>lastSeq and the activity time come from the room's row in {@code rooms}, one probe;</li>
     * <li>only the {@code limit} most recently active rooms (and one more, to tell whether there are more) get their
     * read position and unread count, and only they are returned.</li>
     * </ul>
     */
    private static final String ROOMS = """
            with
            latest(room, last_seq, activity) as (
                select member.room, coalesce(last.last_seq, 0), coalesce(nullif(last.last_ts, 0), member.joined_at) as activity
                from room_members member
                left join rooms last on last.room = member.room
                where member.user_id = :user
                order by activity desc, member.room
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
