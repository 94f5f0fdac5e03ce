package dev.chat.history.store;

/** One chat message as the gateway accepted it; {@code cid} is null when the sender gave none. */
public record ChatMessage(String room, long seq, String from, String text, long ts, String cid) {
}
