package dev.chat.history.replay;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/**
 * The body of {@code GET /rooms/{room}/messages}: messages ascending by seq; {@code hasMore} says whether more exist
 * beyond the page in the direction asked (newer for {@code after}, older for {@code before} and for the latest page).
 * {@code storedThrough} (an addition to PROTOCOL.md's shape) is the room's contiguously stored position: every message
 * up to it is stored (or known lost), and pages never go past it, so a page never has a hole that is filled later.
 * Newer messages (for instance those a {@code joined} frame's {@code seq} announces) are still being stored: ask again.
 */
@RegisterForReflection
public record MessagePage(String room, List<ReplayMessage> messages, boolean hasMore, long storedThrough) {
}
