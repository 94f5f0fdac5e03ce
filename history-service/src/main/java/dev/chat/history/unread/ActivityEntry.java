package dev.chat.history.unread;

import dev.chat.common.rooms.RoomNames;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One entry of the gateway's activity stream, checked: a join (seq 0) or a read position (everything up to seq is
 * read). Entries that break the rules are refused here, so a bad entry is skipped instead of blocking the stream.
 */
public record ActivityEntry(Kind kind, String user, String room, long seq, long ts) {

    public enum Kind {
        JOIN, READ
    }

    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}");

    /**
     * The entry with stream id {@code id} and the given fields, or null when it is malformed: unknown type, invalid
     * user or room, a direct-message room the user is not part of, or a read whose seq is not a non-negative integer. A
     * missing or malformed {@code ts} falls back to the time in the stream id (when Redis added the entry).
     */
    static ActivityEntry parse(String id, Map<String, String> fields) {
        if (fields == null) {
            // A pending entry that was trimmed from the stream before anyone stored it.
            return null;
        }
        Kind kind = switch (String.valueOf(fields.get("type"))) {
            case "join" -> Kind.JOIN;
            case "read" -> Kind.READ;
            default -> null;
        };
        String user = fields.get("user");
        String room = fields.get("room");
        String seq = fields.get("seq");
        if (kind == null || !RoomNames.isValidUser(user) || !RoomNames.isValidRoom(room) || !RoomNames.mayAccess(user, room)
                || (kind == Kind.READ && (seq == null || !NUMBER.matcher(seq).matches()))) {
            return null;
        }
        String ts = fields.get("ts");
        long time = ts != null && NUMBER.matcher(ts).matches() ? Long.parseLong(ts) : idTime(id);
        return new ActivityEntry(kind, user, room, kind == Kind.JOIN ? 0 : Long.parseLong(seq), time);
    }

    /** The milliseconds part of a stream id ({@code <ms>-<n>}). */
    private static long idTime(String id) {
        int dash = id.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? id : id.substring(0, dash));
        } catch (NumberFormatException e) {
            return System.currentTimeMillis();
        }
    }
}
