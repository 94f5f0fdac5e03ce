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
    /** Between {@link #beginReset()} and {@link #restartAt(long)}: live messages wait, nothing is delivered. */
    private boolean resetting;
    /** Counts resets, so a gap fill or position read started before one is ignored after it. */
    private volatile int resets;

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
        if (filling || resetting) {
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
        if (filling || resetting || delivered < 0) {
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

    /**
     * Whether Redis lost the room's stream: its head, read after {@code deliveredBeforeReading} was
     * taken, is behind what had been delivered by then. Members must start over.
     */
    static boolean wasReset(long head, long deliveredBeforeReading) {
        return deliveredBeforeReading >= 0 && head < deliveredBeforeReading;
    }

    /**
     * The room's stream was reset (or a gap is lost): what waited belongs to the old stream and is
     * dropped, and from now until {@link #restartAt(long)} live messages wait, so none is delivered
     * against the old position (a re-seeded room may reuse seqs at or below it).
     */
    void beginReset() {
        resets++;
        resetting = true;
        filling = false;
        waiting.clear();
        suspectedHead = -1;
    }

    int resets() {
        return resets;
    }

    /**
     * Continues from the new head after a reset; the members are told separately, then
     * {@code onFilled(List.of(), head)} delivers the live messages that waited beyond the head.
     */
    void restartAt(long head) {
        resetting = false;
        filling = false;
        delivered = head;
    }

    /** After the subscriber reconnected: anything published while it was away must be fetched now. */
    long[] onResubscribed(long head) {
        if (filling || resetting || delivered < 0 || head <= delivered) {
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
