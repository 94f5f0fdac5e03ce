package dev.chat.history.unread;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/**
 * The body of {@code GET /users/me/rooms}: the caller's rooms, most recent activity first, at most the asked {@code limit};
 * {@code hasMore} (an addition to PROTOCOL.md's shape) says the caller has less recently active rooms beyond them.
 */
@RegisterForReflection
public record UserRooms(String user, List<RoomUnread> rooms, boolean hasMore) {
}
