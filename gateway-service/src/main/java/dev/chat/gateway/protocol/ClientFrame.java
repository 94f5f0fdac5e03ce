package dev.chat.gateway.protocol;

/** A decoded, validated frame from a client (PROTOCOL.md, "Client to server"). */
public sealed interface ClientFrame {

    /** The client's correlation id, echoed on every reply about this frame; may be null. */
    String cid();

    /** {@code presenceDiff}: the client opted in to {@code presence.diff} frames instead of presence.join/leave ({@code "presence": "diff"}). */
    record Join(String room, Long since, String epoch, String cid, boolean presenceDiff) implements ClientFrame {}

    record Leave(String room, String cid) implements ClientFrame {}

    /** Exactly one of {@code room} and {@code to} is set. */
    record Send(String room, String to, String text, String cid) implements ClientFrame {}

    record Typing(String room, String cid) implements ClientFrame {}

    record Read(String room, long seq, String cid) implements ClientFrame {}

    record Presence(String room, String cid) implements ClientFrame {}

    record Ping(String cid) implements ClientFrame {}
}
