package dev.chat.history.unread;

import dev.chat.common.rooms.RoomNames;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.RoomMembership;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The room memberships that stored messages imply: the sender's, and for a direct message its recipient's too. Ingest
 * writes them with the messages (MessageWriter), so GET /users/me/rooms reads one user's rows of {@code room_members},
 * which {@link RoomsPerUserBound} keeps bounded, instead of walking every room the user ever posted in. A pair written
 * lately is remembered and not offered again: a steady conversation writes each pair once in ten minutes. Confined to
 * the ingest context.
 */
@Singleton
public class PostedRooms {

    /** Pairs remembered as written; past it the memory starts over (writing a pair again changes nothing). */
    static final int REMEMBERED = 50_000;
    /**
     * The memory also starts over this often: a membership the per-user bound deleted (the room had gone quiet) is
     * written again by the user's next message there at most this long after.
     */
    static final long REMEMBER_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Set<String> written = new HashSet<>();
    private long rememberedSince = System.nanoTime();
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
        if (!written.contains(key) && seen.add(key)) {
            found.add(new RoomMembership(user, room, ts));
        }
    }

    /** These memberships are stored: remembered, and their users checked against the per-user bound when one is due. */
    public void written(List<RoomMembership> memberships) {
        if (memberships.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        if (written.size() + memberships.size() > REMEMBERED || now - rememberedSince > REMEMBER_NANOS) {
            written.clear();
            rememberedSince = now;
        }
        for (RoomMembership membership : memberships) {
            written.add(key(membership.user(), membership.room()));
        }
        // A failed trim is logged by the bound and tried again at the next one.
        bound.stored(memberships.stream().map(RoomMembership::user)).subscribe().with(ignored -> {
        });
    }

    private static String key(String user, String room) {
        return user + '\u0000' + room;
    }
}
