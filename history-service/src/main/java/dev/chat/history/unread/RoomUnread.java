package dev.chat.history.unread;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One room of {@code GET /users/me/rooms}: its highest stored seq, how far the caller has read it, and how many
 * stored messages past that are from someone else.
 */
@RegisterForReflection
public record RoomUnread(String room, long lastSeq, long readSeq, long unread) {
}
