package dev.chat.history.unread;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One room of {@code GET /users/me/rooms}: its highest stored seq, how far the caller has read it, and how many stored
 * messages past that are from someone else, counted up to {@code chat.unread.cap}; {@code unreadCapped} (an addition to
 * PROTOCOL.md's shape) says the count stopped there ("999+").
 */
@RegisterForReflection
public record RoomUnread(String room, long lastSeq, long readSeq, long unread, boolean unreadCapped) {
}
