package dev.chat.load.measure;

import java.util.HashMap;
import java.util.Map;

/**
 * One client's membership of one room: when it joined (tool clock and, for our protocol, the room's seq
 * then) and what it received, per origin. Synchronized because the client's event loop writes and the
 * final count reads from another thread.
 */
public final class MemberLog {

    private final String room;
    private final long joinedAtNanos;
    private final long joinedSeq;
    private final Map<String, SeqTrack> byOrigin = new HashMap<>();

    MemberLog(String room, long joinedAtNanos, long joinedSeq) {
        this.room = room;
        this.joinedAtNanos = joinedAtNanos;
        this.joinedSeq = joinedSeq;
    }

    public String room() {
        return room;
    }

    synchronized SeqTrack.Outcome record(String origin, long seq) {
        // Our protocol has one seq per room (origin ""), and `joined` told us where it stood. A peer
        // instance's counter is its own: nothing from it is older than the join except by send time.
        SeqTrack track = byOrigin.computeIfAbsent(origin, o -> new SeqTrack(o.isEmpty() ? joinedSeq : 0));
        return track.record(seq);
    }

    /** Whether this member should have received a message of this stream, acked after it joined. */
    synchronized boolean expects(String origin, long seq, long sentAtNanos) {
        return sentAtNanos >= joinedAtNanos && (!origin.isEmpty() || seq > joinedSeq);
    }

    synchronized boolean received(String origin, long seq) {
        SeqTrack t = byOrigin.get(origin);
        return t != null && t.has(seq);
    }
}
