package dev.chat.load.wire;

/**
 * One inbound frame, reduced to the fields the measurements need, whichever protocol carried it.
 * {@code type} uses our protocol's names (welcome, joined, ack, message, error, ...); {@code seq} is -1
 * when absent; {@code origin} is empty for our protocol (one cluster-wide seq per room) and names the
 * peer instance that counted the seq for Socket.IO.
 */
public record Frame(String type, String room, long seq, String origin, String cid, String code, String text, long ts) {

    /** Frames the load tool does not act on (presence.join, typing, pong, ...), kept for counting by type. */
    public static Frame other(String type) {
        return new Frame(type, null, -1, "", null, null, null, -1);
    }
}
