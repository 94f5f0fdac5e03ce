package dev.chat.gateway.protocol;

import java.util.Locale;

/**
 * Which presence frames a connection takes for a room, as it asked on {@code join} ({@code "presence"}; PROTOCOL.md's
 * frames are the default). Every change is published in each form a member may ask for (presence-update.lua); each
 * member keeps the one it asked for.
 */
public enum PresenceMode {
    /** {@code presence.join}/{@code presence.leave}, or an unsolicited {@code presence} list for a busy interval. */
    EVENTS,
    /** One batched {@code presence.diff} per interval instead. */
    DIFF,
    /**
     * No presence frames at all (a viewer of a broadcast room, a bot): the connection still counts as present for the
     * others and can still ask {@code presence}.
     */
    NONE;

    /**
     * The routing type of a room's {@code presence} list sent after this gateway's subscriber reconnected (its frame's
     * type is {@code presence}): every member taking presence frames needs it, whichever form it asked for.
     */
    public static final String LIST_AFTER_RECONNECT = "presence.after-reconnect";

    private static final PresenceMode[] ALL = values();

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The mode a client named on {@code join}, or null for a name the protocol does not know. */
    public static PresenceMode named(String wireName) {
        for (PresenceMode mode : ALL) {
            if (mode.wireName.equals(wireName)) {
                return mode;
            }
        }
        return null;
    }

    /** Whether a room's frame of this {@code type} goes to a member that chose this mode. */
    public boolean wants(String type) {
        return switch (type) {
            case "presence.diff" -> this == DIFF;
            case LIST_AFTER_RECONNECT -> this != NONE;
            case "presence.join", "presence.leave", "presence" -> this == EVENTS;
            default -> true;
        };
    }
}
