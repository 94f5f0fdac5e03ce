package dev.chat.history.ingest;

import java.util.Map;
import java.util.TreeMap;

/**
 * What ingest knows about one room. The watermark is the highest seq up to which every message is
 * stored (or known to be gone from the recent log); only it is published as the room's stored
 * position, because the gateway trims the recent log up to that position and a gap below it would
 * be lost for good. Confined to the ingest context.
 */
final class RoomProgress {

    final String room;

    /** Every seq up to here is stored or unrecoverable; -1 until read from Redis. */
    long watermark = -1;
    /** Highest seq received live, asked for from the log, or seen in the room's counter; 0 for none. */
    long highestSeen;
    /** Lowest seq received live before the watermark was known. */
    long lowestLive = Long.MAX_VALUE;
    /** Messages of this room queued or being written, plus log reads in flight. */
    int busy;
    /** The stored position last written to Redis. */
    long published = -1;
    boolean baselineRequested;
    long lastActivity;

    /** Disjoint ranges [start, end] above the watermark that are stored or unrecoverable. */
    private final TreeMap<Long, Long> done = new TreeMap<>();
    /** Ranges [start, end] known missing (dropped by a full queue, a failed log read) that no log read is filling now. */
    private final TreeMap<Long, Long> missing = new TreeMap<>();
    /** The stored position moved since it was last published. */
    boolean positionDirty;

    RoomProgress(String room, long now) {
        this.room = room;
        this.lastActivity = now;
    }

    boolean knowsWatermark() {
        return watermark >= 0;
    }

    /** Sets the watermark read from Redis; returns whether it moved. */
    boolean baseline(long stored) {
        long before = watermark;
        watermark = Math.max(watermark, stored);
        published = Math.max(published, stored);
        advance();
        return watermark != before;
    }

    /** Records that seqs {@code from..to} are stored or unrecoverable; returns whether the watermark moved. */
    boolean markDone(long from, long to) {
        if (from > to || (knowsWatermark() && to <= watermark)) {
            return false;
        }
        long start = from;
        long end = to;
        Map.Entry<Long, Long> lower = done.floorEntry(start);
        if (lower != null && lower.getValue() >= start - 1) {
            start = lower.getKey();
            end = Math.max(end, lower.getValue());
            done.remove(lower.getKey());
        }
        Map.Entry<Long, Long> next = done.ceilingEntry(start);
        while (next != null && next.getKey() <= end + 1) {
            end = Math.max(end, next.getValue());
            done.remove(next.getKey());
            next = done.ceilingEntry(start);
        }
        done.put(start, end);
        long before = watermark;
        advance();
        return watermark != before;
    }

    /** The end of the first gap above the watermark (the seq before the next done range), or highestSeen. */
    long firstGapEnd() {
        return done.isEmpty() ? highestSeen : done.firstKey() - 1;
    }

    boolean caughtUp() {
        return knowsWatermark() && watermark >= highestSeen && done.isEmpty() && missing.isEmpty() && busy == 0 && published >= watermark;
    }

    /** Records seqs {@code from..to} as missing, to be read from the recent log. */
    void markMissing(long from, long to) {
        if (from > to) {
            return;
        }
        // Adjacent single seqs (a burst dropped by a full queue) merge into one range, so one XRANGE reads them all.
        Map.Entry<Long, Long> lower = missing.floorEntry(from);
        if (lower != null && lower.getValue() >= from - 1) {
            from = lower.getKey();
            to = Math.max(to, lower.getValue());
        }
        Map.Entry<Long, Long> next = missing.ceilingEntry(from);
        while (next != null && next.getKey() <= to + 1) {
            to = Math.max(to, next.getValue());
            missing.remove(next.getKey());
            next = missing.ceilingEntry(from);
        }
        missing.put(from, to);
    }

    /** Takes the first missing range (and forgets it: the caller reads it), or null. */
    long[] takeMissing() {
        Map.Entry<Long, Long> first = missing.pollFirstEntry();
        return first == null ? null : new long[] { first.getKey(), first.getValue() };
    }

    boolean hasMissing() {
        return !missing.isEmpty();
    }

    private void advance() {
        if (!knowsWatermark()) {
            return;
        }
        Map.Entry<Long, Long> first = done.firstEntry();
        while (first != null && first.getKey() <= watermark + 1) {
            watermark = Math.max(watermark, first.getValue());
            done.remove(first.getKey());
            first = done.firstEntry();
        }
    }
}
