package dev.chat.common.rooms;

/**
 * Room and user naming rules of PROTOCOL.md, including the {@code dm:<lower>:<higher>} direct-message
 * rooms: one set of rules, so the gateway never accepts a room that history would refuse to store or serve.
 */
public final class RoomNames {

    private static final int MAX_NAME = 64;
    private static final String DM_PREFIX = "dm:";

    private RoomNames() {
    }

    public static boolean isValidUser(String id) {
        return id != null && isName(id);
    }

    /** {@code [A-Za-z0-9_.-]{1,64}}, checked a character at a time: every send checks its room, and a regex cost more. */
    private static boolean isName(String name) {
        int length = name.length();
        if (length == 0 || length > MAX_NAME) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /** A public room name or a well-formed direct-message room name. */
    public static boolean isValidRoom(String room) {
        if (room == null) {
            return false;
        }
        if (room.startsWith(DM_PREFIX)) {
            return dmParticipants(room) != null;
        }
        return isName(room);
    }

    public static boolean isDirect(String room) {
        return room.startsWith(DM_PREFIX);
    }

    /** The room holding the direct messages between two users. */
    public static String direct(String a, String b) {
        return a.compareTo(b) <= 0 ? DM_PREFIX + a + ":" + b : DM_PREFIX + b + ":" + a;
    }

    /**
     * Whether {@code user} may join, post to and read {@code room} (the gateway) and replay or count it
     * (history): every public room, and only their own direct messages.
     */
    public static boolean mayAccess(String user, String room) {
        if (!isDirect(room)) {
            return true;
        }
        String[] users = dmParticipants(room);
        return users != null && (users[0].equals(user) || users[1].equals(user));
    }

    /** In a direct-message room, the participant who is not {@code user} ({@code user} itself for notes to self). */
    public static String otherParticipant(String room, String user) {
        String[] users = dmParticipants(room);
        if (users == null) {
            throw new IllegalArgumentException("not a direct-message room: " + room);
        }
        return users[0].equals(user) ? users[1] : users[0];
    }

    /** The two sorted participants of a direct-message room, or null if the name is malformed. */
    static String[] dmParticipants(String room) {
        String[] parts = room.substring(DM_PREFIX.length()).split(":", -1);
        if (parts.length != 2 || !isValidUser(parts[0]) || !isValidUser(parts[1]) || parts[0].compareTo(parts[1]) > 0) {
            return null;
        }
        return parts;
    }
}
