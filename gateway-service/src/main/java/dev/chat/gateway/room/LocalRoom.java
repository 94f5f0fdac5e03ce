package dev.chat.gateway.room;

import io.quarkus.logging.Log;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A room as this gateway holds it: its local members, the subscription of its channel, and the
 * position of the room's stream it has delivered up to. Pub/Sub may drop messages silently, so a
 * jump in seq holds delivery back until the gap is filled from the recent log. Every method but the
 * member set runs on the subscriber's context, one message at a time.
 */
final class LocalRoom {

    final String name;
    final Future<Void> subscribed;
    final Set<Member> members = ConcurrentHashMap.newKeySet();

    private long delivered = -1;
    /** Set when a gap could not be filled in-band; the registry then tells the members (recovered: false). */
    boolean unrecoverable;
    private boolean seenLive;
    private boolean filling;
    private final Deque<RoomMessage> waiting = new ArrayDeque<>();
    /** A head seen by a position check, to be reached by the next check or filled. */
    private long suspectedHead = -1;

    LocalRoom(String name, Future<Void> subscribed) {
        this.name = name;
        this.subscribed = subscribed;
    }

    /**
     * Called with a joining member's position. Until a live message arrived, the room's baseline is
     * the lowest position any member joined at: everything after it is still to be delivered.
     */
    void baseline(long position) {
        if (!seenLive && (delivered < 0 || position < delivered)) {
            delivered = position;
        }
    }

    /** A typing or presence frame: straight to live members, never to the user it is about if it is typing. */
    void onEphemeral(RoomMessage message) {
        String except = "typing".equals(message.type()) ? message.user() : null;
        for (Member member : members) {
            member.deliverEphemeral(message, except);
        }
    }

    /** Whether any local member of this room is the given user (on any connection). */
    boolean hasMember(String user) {
        for (Member member : members) {
            if (member.recipient().user().equals(user)) {
                return true;
            }
        }
        return false;
    }

    /** A live message from Pub/Sub. Returns the range to fetch ({from, to}) if it revealed a gap, else null. */
    long[] onLive(RoomMessage message) {
        seenLive = true;
        if (filling) {
            waiting.add(message);
            return null;
        }
        if (delivered >= 0 && message.seq() > delivered + 1) {
            filling = true;
            waiting.add(message);
            return new long[] {delivered + 1, message.seq() - 1};
        }
        deliver(message);
        return null;
    }

    /**
     * Delivers what a gap fill for {@code [.., to]} fetched, then what waited behind it. Returns the next
     * range to fetch if a waiting message reveals another gap, else null. A range the log no longer
     * holds is skipped rather than stalling the room forever.
     */
    long[] onFilled(Iterable<RoomMessage> fetched, long to) {
        for (RoomMessage message : fetched) {
            deliver(message);
        }
        if (delivered < to) {
            Log.warnf("Room %s: messages %d..%d are no longer in the recent log; members reload them from history",
                    name, delivered + 1, to);
            delivered = to;
            unrecoverable = true;
        }
        filling = false;
        while (!waiting.isEmpty()) {
            RoomMessage next = waiting.peek();
            if (next.seq() > delivered + 1) {
                filling = true;
                return new long[] {delivered + 1, next.seq() - 1};
            }
            deliver(waiting.poll());
        }
        return null;
    }

    /**
     * A periodic position check: the room's head in Redis. A head beyond what was delivered, seen twice,
     * means the tail was lost. Returns the range to fetch, or null.
     */
    long[] onHead(long head) {
        if (filling || delivered < 0) {
            return null;
        }
        if (suspectedHead > delivered) {
            long target = suspectedHead;
            suspectedHead = head > delivered ? head : -1;
            filling = true;
            return new long[] {delivered + 1, target};
        }
        suspectedHead = head > delivered ? head : -1;
        return null;
    }

    /** Whether Redis lost the room's stream (its head is behind what was delivered): members must start over. */
    boolean wasReset(long head) {
        return delivered >= 0 && head < delivered;
    }

    /** Continues from the new head after a reset; the members are told separately. */
    void restartAt(long head) {
        waiting.clear();
        filling = false;
        delivered = head;
    }

    /** After the subscriber reconnected: anything published while it was away must be fetched now. */
    long[] onResubscribed(long head) {
        if (filling || delivered < 0 || head <= delivered) {
            return null;
        }
        filling = true;
        return new long[] {delivered + 1, head};
    }

    long delivered() {
        return delivered;
    }

    private void deliver(RoomMessage message) {
        if (message.seq() <= delivered) {
            return;
        }
        delivered = message.seq();
        for (Member member : members) {
            member.deliver(message);
        }
    }
}
