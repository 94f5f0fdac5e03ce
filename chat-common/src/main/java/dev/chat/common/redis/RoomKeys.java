package dev.chat.common.redis;

/**
 * The Redis key and channel schema that the gateways and the history service share: written once, so
 * a key renamed here is renamed for both. The room (or user) sits in a hash tag so that a room's own keys
 * share a slot. These are the names on a standalone Redis; {@link RedisLayout} gives the ones that differ
 * on a Redis Cluster (channels, the per-slot generation marker), where no script touches a global key.
 */
public final class RoomKeys {

    /** Present from a Redis instance's first use; its absence means Redis lost its data. */
    public static final String GENERATION = "chat:generation";
    public static final String CHANNEL_PREFIX = "chat:room:";
    /** Every room channel, for PSUBSCRIBE. */
    public static final String CHANNEL_PATTERN = CHANNEL_PREFIX + "*";
    public static final String USER_CHANNEL_PREFIX = "chat:user:";
    /** Offline events for push-notification workers (consume with a consumer group). */
    public static final String EVENTS = "chat:events";
    /** Every room counter, for SCAN (braces are not glob characters). */
    public static final String SEQ_PATTERN = "chat:{*}:seq";
    /**
     * The gateways, scored by when their heartbeat runs out (ms): one found past it crashed, and a live gateway clears the
     * online entries it left (see {@link #gatewayUsers}).
     */
    public static final String GATEWAYS = "chat:gateways";
    /** Held by the one history replica that re-seeds room counters after Redis lost its data. */
    public static final String RESEED_LOCK = "chat:history:reseed-lock";

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

    /**
     * Set when a send or join found the room's counter missing while other keys of the room remain: it
     * holds the generation in which a re-seed was asked for (see the gateway's publish.lua).
     */
    public static String reseedRequest(String room) {
        return "chat:{" + room + "}:reseed";
    }

    /**
     * The record of a send with a {@code cid}: {@code "<seq>:<ts>"}, expiring after the idempotency window. The gateway's
     * publish.lua writes and reads it; history's re-seed writes it back from PostgreSQL after Redis lost its data.
     */
    public static String idempotency(String room, String user, String cid) {
        return "chat:{" + room + "}:idem:" + user + ":" + cid;
    }

    /** Who is in the room, on which gateway: a sorted set of user|node scored by expiry. */
    public static String presence(String room) {
        return "chat:{" + room + "}:presence";
    }

    /**
     * Which gateways hold an entry of each user in {@link #presence}: a hash of user to {@code "|node|node|"}, with how
     * many entries it indexes and which gateways keep it (presence-update.lua has the fields). It lets that script look
     * up the users a flush changes instead of reading the whole room.
     */
    public static String presenceNodes(String room) {
        return "chat:{" + room + "}:presence-nodes";
    }

    /** Until when the room's presence announcements wait, for every gateway: {@code "<until ms> <length ms>"}. */
    public static String presenceHold(String room) {
        return "chat:{" + room + "}:presence-hold";
    }

    /** Presence changes applied during a hold and not yet announced: user to whether clients were told they are present. */
    public static String presenceUnannounced(String room) {
        return "chat:{" + room + "}:presence-unannounced";
    }

    /** The gateways a user is connected to: a sorted set of nodes scored by expiry. */
    public static String online(String user) {
        return "chat:online:{" + user + "}";
    }

    /** The direct-message rooms of a user: a sorted set of rooms scored by the time of their latest message. */
    public static String directRooms(String user) {
        return "chat:dms:{" + user + "}";
    }

    /** The users a gateway holds an online entry for ({@link #online}): what to clear if the gateway crashes. */
    public static String gatewayUsers(String node) {
        return "chat:gateway-users:{" + node + "}";
    }

    public static String lastSeen(String user) {
        return "chat:lastseen:{" + user + "}";
    }

    /** Direct messages and presence events for one user, on whichever gateways they are connected. */
    public static String userChannel(String user) {
        return USER_CHANNEL_PREFIX + user;
    }

    /** The user of a {@code chat:user:<user>} channel, or null for any other channel. */
    public static String userOfChannel(String channel) {
        return channel.startsWith(USER_CHANNEL_PREFIX) ? channel.substring(USER_CHANNEL_PREFIX.length()) : null;
    }

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
