package dev.chat.history.unread;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** The body of {@code GET /users/me/rooms}: the caller's rooms, most recent activity first. */
@RegisterForReflection
public record UserRooms(String user, List<RoomUnread> rooms) {
}
