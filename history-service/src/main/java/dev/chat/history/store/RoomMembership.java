package dev.chat.history.store;

/** A user's row in {@code room_members}: the rooms they joined, posted in or were sent direct messages in, since {@code since}. */
public record RoomMembership(String user, String room, long since) {
}
