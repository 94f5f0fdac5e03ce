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
    boolean advancing;
    boolean baselineRequested;
    long lastActivity;

    /** Disjoint ranges [start, end] above the watermark that are stored or unrecoverable. */
    private final TreeMap<Long, Long> done = new TreeMap<>();

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
        return knowsWatermark() && watermark >= highestSeen && done.isEmpty() && busy == 0 && published >= watermark;
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
