package dev.chat.common.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * The names that depend on the deployment. On a standalone Redis they are those of {@link RoomKeys}
 * (one generation marker, PUBLISH to {@code chat:room:<room>}, history's pattern subscription). On a
 * Redis Cluster every script stays inside one slot: a room's channel carries the room's hash tag and is
 * published with SPUBLISH (sharded Pub/Sub: only the shard that owns the room sees it), the generation
 * marker is one per slot (so a shard that lost its data is noticed for its own rooms), and every message
 * is also published on its slot's channel, which is how history follows every room without knowing them.
 */
public final class RedisLayout {

    public static final RedisLayout STANDALONE = new RedisLayout(false);
    public static final RedisLayout CLUSTER = new RedisLayout(true);

    static final String ROOM_CHANNEL_PREFIX = "chat:room:{";
    static final String USER_CHANNEL_PREFIX = "chat:user:{";
    /** Every slot channel starts with it. */
    public static final String SLOT_CHANNEL_PREFIX = "chat:slot:{";
    static final String GENERATION_PREFIX = "chat:generation:{";

    private final boolean cluster;

    private RedisLayout(boolean cluster) {
        this.cluster = cluster;
    }

    public static RedisLayout of(RedisDeployment deployment) {
        return deployment.cluster() ? CLUSTER : STANDALONE;
    }

    public boolean cluster() {
        return cluster;
    }

    /** The command that publishes on a room's or user's channel. */
    public String publishCommand() {
        return cluster ? "SPUBLISH" : "PUBLISH";
    }

    public String roomChannel(String room) {
        return cluster ? ROOM_CHANNEL_PREFIX + room + "}" : RoomKeys.channel(room);
    }

    /** The room of a room channel, or null for any other channel. */
    public String roomOfChannel(String channel) {
        return cluster ? tagged(channel, ROOM_CHANNEL_PREFIX) : RoomKeys.roomOfChannel(channel);
    }

    public String userChannel(String user) {
        return cluster ? USER_CHANNEL_PREFIX + user + "}" : RoomKeys.userChannel(user);
    }

    /** The user of a user channel, or null for any other channel. */
    public String userOfChannel(String channel) {
        return cluster ? tagged(channel, USER_CHANNEL_PREFIX) : RoomKeys.userOfChannel(channel);
    }

    /** The generation marker that stands for the room's data: the whole server's, or its slot's. */
    public String generation(String room) {
        return cluster ? generationOfSlot(KeySlots.slot(RoomKeys.seq(room))) : RoomKeys.GENERATION;
    }

    /** Cluster only: the marker of one slot. */
    public static String generationOfSlot(int slot) {
        return GENERATION_PREFIX + KeySlots.tagForSlot(slot) + "}";
    }

    /** Where history hears of a room's messages beside the room channel: its slot's channel (cluster), or nowhere extra (''). */
    public String historyChannel(String room) {
        return cluster ? slotChannel(KeySlots.slot(RoomKeys.seq(room))) : "";
    }

    /** Cluster only: the channel of one slot, on the master that owns the slot. */
    public static String slotChannel(int slot) {
        return SLOT_CHANNEL_PREFIX + KeySlots.tagForSlot(slot) + "}";
    }

    /** Cluster only: every slot's channel, for history. */
    public static List<String> slotChannels() {
        List<String> channels = new ArrayList<>(KeySlots.SLOTS);
        for (int slot = 0; slot < KeySlots.SLOTS; slot++) {
            channels.add(slotChannel(slot));
        }
        return channels;
    }

    private static String tagged(String channel, String prefix) {
        return channel.startsWith(prefix) && channel.endsWith("}") && channel.length() > prefix.length() + 1
                ? channel.substring(prefix.length(), channel.length() - 1) : null;
    }
}
