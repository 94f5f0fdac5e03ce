package dev.chat.history;

/**
 * Redis key and channel names of a room, the same as the gateway's. The room sits in a hash tag so
 * that all keys one script touches share a cluster slot.
 */
public final class RoomKeys {

    /** Present from a Redis instance's first use; its absence means Redis lost its data. */
    public static final String GENERATION = "chat:generation";
    public static final String CHANNEL_PREFIX = "chat:room:";
    /** Every room channel, for PSUBSCRIBE. */
    public static final String CHANNEL_PATTERN = CHANNEL_PREFIX + "*";
    /** Every room counter, for SCAN (braces are not glob characters). */
    public static final String SEQ_PATTERN = "chat:{*}:seq";

    private static final String SEQ_PREFIX = "chat:{";
    private static final String SEQ_SUFFIX = "}:seq";

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

    /** The highest seq up to which history has stored every message of the room; the gateway never trims above it. */
    public static String stored(String room) {
        return "chat:{" + room + "}:stored";
    }

    /** The ranges of the room's seqs that history counted as lost (so replicas count each lost message once). */
    public static String lost(String room) {
        return "chat:{" + room + "}:lost";
    }

    /** Held by the one history replica that re-seeds room counters after Redis lost its data. */
    public static final String RESEED_LOCK = "chat:history:reseed-lock";

    public static String channel(String room) {
        return CHANNEL_PREFIX + room;
    }

    /** The room of a {@code chat:room:<room>} channel, or null for any other channel. */
    public static String roomOfChannel(String channel) {
        return channel.startsWith(CHANNEL_PREFIX) ? channel.substring(CHANNEL_PREFIX.length()) : null;
    }

    /** The room of a {@code chat:{<room>}:seq} key, or null for any other key. */
    public static String roomOfSeqKey(String key) {
        if (!key.startsWith(SEQ_PREFIX) || !key.endsWith(SEQ_SUFFIX) || key.length() <= SEQ_PREFIX.length() + SEQ_SUFFIX.length()) {
            return null;
        }
        return key.substring(SEQ_PREFIX.length(), key.length() - SEQ_SUFFIX.length());
    }
}
