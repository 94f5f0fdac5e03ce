package dev.chat.gateway.publish;

/**
 * Redis key and channel names of a room. The room sits in a hash tag so that all keys one script
 * touches share a cluster slot. The history service uses the same names.
 */
public final class RoomKeys {

    /** Present from a Redis instance's first use; its absence means Redis lost its data. */
    public static final String GENERATION = "chat:generation";
    public static final String CHANNEL_PREFIX = "chat:room:";

    private RoomKeys() {
    }

    public static String seq(String room) {
        return "chat:{" + room + "}:seq";
    }

    public static String epoch(String room) {
        return "chat:{" + room + "}:epoch";
    }

    public static String log(String room) {
        return "chat:{" + room + "}:log";
    }

    /** The highest seq the history service has stored for the room. */
    public static String stored(String room) {
        return "chat:{" + room + "}:stored";
    }

    public static String idempotency(String room, String user, String cid) {
        return "chat:{" + room + "}:idem:" + user + ":" + cid;
    }

    public static String channel(String room) {
        return CHANNEL_PREFIX + room;
    }

    public static String roomOfChannel(String channel) {
        return channel.substring(CHANNEL_PREFIX.length());
    }
}
