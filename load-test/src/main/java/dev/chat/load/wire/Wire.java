package dev.chat.load.wire;

import java.io.IOException;

/**
 * What differs between the systems under test: the upgrade path, the frames a client writes and how an
 * inbound text frame reads. Everything else (connecting, scheduling, measuring) is shared code, so both
 * systems are driven identically.
 */
public interface Wire {

    /** Name used in reports: "chat" or "socketio". */
    String name();

    /** Path and query of the WebSocket upgrade when the target URL gives none. */
    String defaultPath();

    /** Query to add to the upgrade URL for this token (may be empty). */
    String upgradeQuery(String token);

    String join(String room, String cid);

    String send(String room, String text, String cid);

    /**
     * Reads one inbound text frame. Besides the protocol frames it may return the control types
     * {@code ready} (the client may join now), {@code reply} (write {@link Frame#text()} back, e.g. a pong)
     * and {@code refused} (the connection was refused, {@link Frame#code()} says why).
     */
    Frame read(String text, String token) throws IOException;

    /** {@code presence}: the presence frames our protocol's clients join for (events, diff or none; the peer has no presence). */
    static Wire named(String name, String presence) {
        return switch (name) {
            case "chat", "ours" -> new ChatWire(presence);
            case "socketio", "socket.io" -> new SocketIoWire();
            default -> throw new IllegalArgumentException("unknown protocol " + name + " (chat or socketio)");
        };
    }
}
