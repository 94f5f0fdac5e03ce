package dev.chat.history.store;

/** A room and the highest seq stored for it. */
public record RoomMax(String room, long maxSeq) {
}
