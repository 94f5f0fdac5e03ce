package dev.chat.load.measure;

import java.util.BitSet;

/**
 * The seqs one member received from one stream (a room, or a room and a peer instance): tells a first
 * delivery from a duplicate and an in-order one from a late one. Not thread-safe: one client's event
 * loop feeds it; {@link MemberLog} guards it for the final count.
 */
final class SeqTrack {

    private final long base;
    private final BitSet seen = new BitSet();
    private long last = Long.MIN_VALUE;

    /** {@code base}: seqs at or below it cannot be expected (the room's seq when the member joined). */
    SeqTrack(long base) {
        this.base = base;
    }

    enum Outcome { FIRST, DUPLICATE, OUT_OF_ORDER, BEFORE_JOIN }

    Outcome record(long seq) {
        if (seq <= base || seq - base > Integer.MAX_VALUE) {
            return Outcome.BEFORE_JOIN;
        }
        int index = (int) (seq - base);
        if (seen.get(index)) {
            return Outcome.DUPLICATE;
        }
        seen.set(index);
        boolean late = seq < last;
        last = Math.max(last, seq);
        return late ? Outcome.OUT_OF_ORDER : Outcome.FIRST;
    }

    boolean has(long seq) {
        return seq > base && seq - base <= Integer.MAX_VALUE && seen.get((int) (seq - base));
    }

    long base() {
        return base;
    }
}
