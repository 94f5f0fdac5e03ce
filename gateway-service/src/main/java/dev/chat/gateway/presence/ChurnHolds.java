package dev.chat.gateway.presence;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which rooms' presence changes wait before their next announcement, and until when. A room that announced
 * its full list (more changes than single events allow) waits the first hold; while it keeps doing so, each
 * hold doubles up to the maximum, so a storm that goes on costs each member fewer lists the longer it lasts.
 * A room that announces in two flushes in a row (users trickling in, a few per flush) waits the first hold
 * too: each announcement is a frame to every member, however few changes it carries. A room that stayed quiet
 * past its hold starts over at the batch interval. Not thread-safe: the registry calls it under its lock.
 */
final class ChurnHolds {

    /** Until when a room's changes wait (ms), and how long that hold was: 0 marks a room that just announced. */
    private record Hold(long until, long length) {
    }

    private final long firstMs;
    private final long maxMs;
    private final long tickMs;
    private final Map<String, Hold> holds = new HashMap<>();

    /**
     * @param firstMs the first hold; 0 turns holds off (every room announces once per batch interval)
     * @param maxMs the longest hold a storm that goes on reaches
     * @param tickMs the batch interval: a room with changes waiting flushes at the first tick after its hold
     */
    ChurnHolds(long firstMs, long maxMs, long tickMs) {
        this.firstMs = firstMs;
        this.maxMs = Math.max(firstMs, maxMs);
        this.tickMs = tickMs;
    }

    /** Whether the room's changes must wait at {@code now}. */
    boolean holding(String room, long now) {
        Hold hold = holds.get(room);
        return hold != null && hold.until() > now;
    }

    /**
     * The room announced its changes at {@code now}; {@code churned} says whether they were more than single
     * events allow (every member got the full list).
     */
    void flushed(String room, boolean churned, long now) {
        if (firstMs <= 0) {
            return;
        }
        Hold previous = holds.get(room);
        long length;
        if (churned) {
            length = previous == null || previous.length() == 0 ? firstMs : Math.min(maxMs, 2 * previous.length());
        } else {
            // A first announcement only marks the room; one that follows another right away is a busy room.
            length = previous == null ? 0 : firstMs;
        }
        holds.put(room, new Hold(now + length, length));
    }

    /**
     * Forgets the rooms whose hold is over and that have had nothing to announce since: a room that is
     * {@code waiting} with changes keeps its entry through the tick right after its hold, so that flush
     * counts as a continuation.
     */
    void forgetQuiet(long now, Set<String> waiting) {
        long grace = tickMs + tickMs / 2;
        holds.entrySet().removeIf(entry -> entry.getValue().until() <= now
                && (!waiting.contains(entry.getKey()) || now - entry.getValue().until() > grace));
    }

    /** Rooms with a hold or a mark (tests and diagnostics). */
    int tracked() {
        return holds.size();
    }
}
