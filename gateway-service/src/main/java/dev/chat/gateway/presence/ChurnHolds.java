package dev.chat.gateway.presence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rooms whose presence announcements Redis holds, as presence-update.lua answered this gateway: their
 * changes wait here until the hold ends (one call then instead of one per batch interval), and a room whose
 * changes Redis kept unannounced is flushed when its hold ends, so that someone announces them. The holds
 * themselves (their length, doubling in a storm, busy rooms) are decided in Redis, for all gateways at once.
 * Not thread-safe: the registry calls it under its lock.
 */
final class ChurnHolds {

    /** Until when (ms) the room's announcements wait; {@code owed}: changes of ours wait for that end. */
    private record Hold(long until, boolean owed) {
    }

    private final Map<String, Hold> holds = new HashMap<>();

    /** Redis's answer to a flush of the room: the hold's end (0: none) and whether changes wait for it. */
    void replied(String room, long until, boolean waiting) {
        if (until <= 0) {
            holds.remove(room);
        } else {
            holds.put(room, new Hold(until, waiting));
        }
    }

    /** Whether the room's changes wait at {@code now}. */
    boolean holding(String room, long now) {
        Hold hold = holds.get(room);
        return hold != null && hold.until() > now;
    }

    /** Forgets the holds that ended by {@code now}; returns the rooms whose unannounced changes are due. */
    List<String> ended(long now) {
        List<String> due = new ArrayList<>();
        holds.entrySet().removeIf(entry -> {
            if (entry.getValue().until() > now) {
                return false;
            }
            if (entry.getValue().owed()) {
                due.add(entry.getKey());
            }
            return true;
        });
        return due;
    }

    /** Rooms held (tests and diagnostics). */
    int tracked() {
        return holds.size();
    }
}
