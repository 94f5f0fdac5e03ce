package dev.chat.gateway.publish;

/**
 * Redis key and channel names of a room. The room sits in a hash tag so that all keys one script
 * touches share a cluster slot. The history service uses the same names.
 */
public final class RoomKeys {

    /** Present from a Redis instance's first use; its absence means Redis lost its data. */
    public static final String GENERATION = "chat:generation";
    public static final String CHANNEL_PREFIX = "chat:room:";
    public static final String USER_CHANNEL_PREFIX = "chat:user:";
    /** Offline events for push-notification workers (consume with a consumer group). */
    public static final String EVENTS = "chat:events";

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

    /**
     * Set when a send or join found the room's counter missing while other keys of the room remain: it
     * holds the generation in which a re-seed was asked for (see publish.lua).
     */
    public static String reseedRequest(String room) {
        return "chat:{" + room + "}:reseed";
    }

    public static String idempotency(String room, String user, String cid) {
        return "chat:{" + room + "}:idem:" + user + ":" + cid;
    }

    /** Who is in the room, on which gateway: a sorted set of user|node scored by expiry. */
    public static String presence(String room) {
        return "chat:{" + room + "}:presence";
    }

    /** The gateways a user is connected to: a sorted set of nodes scored by expiry. */
    public static String online(String user) {
        return "chat:online:{" + user + "}";
    }

    /** The direct-message rooms of a user: a sorted set of rooms scored by the time of their latest message. */
    public static String directRooms(String user) {
        return "chat:dms:{" + user + "}";
    }

    public static String lastSeen(String user) {
        return "chat:lastseen:{" + user + "}";
    }

    /** Direct messages and presence events for one user, on whichever gateways they are connected. */
    public static String userChannel(String user) {
        return USER_CHANNEL_PREFIX + user;
    }

    public static String channel(String room) {
        return CHANNEL_PREFIX + room;
    }

    public static String roomOfChannel(String channel) {
        return channel.substring(CHANNEL_PREFIX.length());
    }
}
