package dev.chat.gateway.publish;

import java.util.List;

/**
 * Where a room stands when a client joins: its latest seq and epoch and, for a join with {@code since},
 * whether the gap could be replayed and the first encoded {@code message} frames that fill it (a chunk).
 */
public record RoomPosition(long seq, String epoch, Boolean recovered, List<String> replay) {
}
