package dev.chat.history.store;

import java.util.List;
import java.util.Map;

/**
 * One write of ingest: messages to insert, rooms whose contiguously stored position moved (every seq up to it is
 * stored or known lost), and the room memberships the messages imply that are not known to be stored yet (their
 * senders', and for a direct message its recipient's). Any may be empty.
 */
public record MessageBatch(List<ChatMessage> messages, List<Boolean> fromLog, Map<String, Long> storedPositions,
        List<RoomMembership> memberships) {

    public MessageBatch(List<ChatMessage> messages, List<Boolean> fromLog, Map<String, Long> storedPositions) {
        this(messages, fromLog, storedPositions, List.of());
    }
}
