package dev.chat.history.store;

import java.util.List;
import java.util.Map;

/**
 * One write of ingest: messages to insert, and rooms whose contiguously stored position moved (every seq up to it is
 * stored or known lost). Either may be empty.
 */
public record MessageBatch(List<ChatMessage> messages, List<Boolean> fromLog, Map<String, Long> storedPositions) {
}
