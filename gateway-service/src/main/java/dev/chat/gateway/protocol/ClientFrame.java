package dev.chat.gateway.protocol;

/** A decoded, validated frame from a client (PROTOCOL.md, "Client to server"). */
public sealed interface ClientFrame {

    /** The client's correlation id, echoed on every reply about this frame; may be null. */
    String cid();

    /** {@code presence}: the presence frames the client asked for ({@code "presence": "events" | "diff" | "none"}). */
    record Join(String room, Long since, String epoch, String cid, PresenceMode presence) implements ClientFrame {}

    record Leave(String room, String cid) implements ClientFrame {}

    /** Exactly one of {@code room} and {@code to} is set. */
    record Send(String room, String to, String text, String cid) implements ClientFrame {}

    record Typing(String room, String cid) implements ClientFrame {}

    record Read(String room, long seq, String cid) implements ClientFrame {}

    record Presence(String room, String cid) implements ClientFrame {}

    record Ping(String cid) implements ClientFrame {}
}
