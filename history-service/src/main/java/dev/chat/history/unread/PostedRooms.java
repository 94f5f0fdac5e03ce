package dev.chat.history.unread;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chat.common.rooms.RoomNames;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.RoomMembership;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The room memberships that stored messages imply: the sender's, and for a direct message its recipient's too. Ingest
 * writes them with the messages (MessageWriter), so GET /users/me/rooms reads one user's rows of {@code room_members},
 * which {@link RoomsPerUserBound} keeps bounded, instead of walking every room the user ever posted in. A pair written
 * lately is remembered and not offered again: a steady conversation writes each pair once in ten minutes.
 */
@Singleton
public class PostedRooms {

    /** Pairs remembered as written (writing a forgotten pair again changes nothing). */
    static final int REMEMBERED = 50_000;
    /**
     * How long a pair is remembered: a membership the per-user bound deleted (the room had gone quiet) is written again
     * by the user's next message there at most this long after.
     */
    static final Duration REMEMBER_FOR = Duration.ofMinutes(10);

    private final Cache<String, Boolean> written = Caffeine.newBuilder().maximumSize(REMEMBERED).expireAfterWrite(REMEMBER_FOR).build();
    private final RoomsPerUserBound bound;

    PostedRooms(RoomsPerUserBound bound) {
        this.bound = bound;
    }

    /** The memberships these messages imply that were not written lately, each once, at its first message's time. */
    public List<RoomMembership> unwritten(List<ChatMessage> messages) {
        List<RoomMembership> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ChatMessage m : messages) {
            offer(found, seen, m.from(), m.room(), m.ts());
            if (RoomNames.isDirect(m.room()) && RoomNames.mayAccess(m.from(), m.room())) {
                offer(found, seen, RoomNames.otherParticipant(m.room(), m.from()), m.room(), m.ts());
            }
        }
        return found;
    }

    private void offer(List<RoomMembership> found, Set<String> seen, String user, String room, long ts) {
        String key = key(user, room);
        if (written.getIfPresent(key) == null && seen.add(key)) {
            found.add(new RoomMembership(user, room, ts));
        }
    }

    /** These memberships are stored: remembered, and their users checked against the per-user bound when one is due. */
    public void written(List<RoomMembership> memberships) {
        if (memberships.isEmpty()) {
            return;
        }
        for (RoomMembership membership : memberships) {
            written.put(key(membership.user(), membership.room()), Boolean.TRUE);
        }
        // A failed trim is logged by the bound and tried again at the next one.
        bound.stored(memberships.stream().map(RoomMembership::user)).subscribe().with(ignored -> {
        });
    }

    private static String key(String user, String room) {
        return user + '\u0000' + room;
    }
}
