package dev.chat.history.store;

import java.util.List;

/**
 * What a {@link MessageBatch} did: how many messages were new (and how many of those came from a recent log), and the
 * stored messages that differ from what was offered for the same (room, seq).
 */
public record BatchOutcome(long inserted, long insertedFromLog, List<Conflict> conflicts) {

    /** A (room, seq) already stored with other content: the offered message is not stored. */
    public record Conflict(ChatMessage offered, String storedFrom, String storedText, long storedTs) {
    }
}
