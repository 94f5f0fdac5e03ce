package dev.chat.history.unread;

import dev.chat.history.HistoryConfig;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Keeps each user's rooms in {@code room_members} and {@code read_markers} to {@code chat.activity.rooms-per-user}: a
 * client that joins, posts in or marks ever new room names within its rate limits would otherwise grow both tables
 * without end, and its room list's cost with them.
 * Once the trim interval has passed since the last trim, the next stored batch is followed by one statement: the users
 * stored since (up to {@value #SEEN_LIMIT}) who are past the bound lose their least recently active rooms. Such a client
 * is in every second's flush of the gateways, so it is found long before its tenth of slack is used; ordinary batches
 * pay nothing. Best effort: a failed trim is logged, and the batch stays stored.
 */
@Singleton
public class RoomsPerUserBound {

    /**
     * Of the users in {@code $1}, those who hold more than a tenth past {@code $2} rooms in either table lose the rooms
     * past the {@code $2} they were last active in: memberships by the latest of the join (or first post), the user's
     * read position there and the room's last message (so the rooms kept are the ones GET /users/me/rooms lists first),
     * read positions by their time. Each user's rows are ranked on the primary key's range. The read positions
     * it may delete are locked first, skipping any a concurrent write holds: it never waits on an activity write (whose
     * upserts lock read positions in key order), so the two cannot deadlock. A row changed since it was ranked, or a
     * membership whose read position changed, stays.
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
                        left join rooms last on last.room = j.room
                        where j.user_id = u.user_id
                        order by greatest(j.joined_at, coalesce(r.updated_at, 0), coalesce(last.last_ts, 0)) desc, j.room desc
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
    /** The users stored since the last trim, whom it checks; bounded. */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    RoomsPerUserBound(Pool pool, HistoryConfig config) {
        this.pool = pool;
        this.roomsPerUser = Math.max(0, config.activity().roomsPerUser());
        this.trimIntervalNanos = config.activity().trimInterval().toNanos();
        // The first is due at once.
        this.lastTrim = new AtomicLong(System.nanoTime() - trimIntervalNanos);
    }

    /** After an activity batch is stored: notes its users, and trims if a trim is due (0 rooms per user: never). */
    Uni<Void> stored(List<ActivityEntry> entries) {
        return stored(entries.stream().map(ActivityEntry::user));
    }

    /** After rooms were added to these users' lists: notes them, and trims if a trim is due (0 rooms per user: never). */
    Uni<Void> stored(Stream<String> users) {
        if (roomsPerUser == 0) {
            return Uni.createFrom().voidItem();
        }
        users.takeWhile(user -> seen.size() < SEEN_LIMIT).forEach(seen::add);
        return trimDue() ? trim() : Uni.createFrom().voidItem();
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
}
