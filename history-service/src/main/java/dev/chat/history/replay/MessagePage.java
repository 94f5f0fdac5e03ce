package dev.chat.history.replay;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/**
 * The body of {@code GET /rooms/{room}/messages}: messages ascending by seq; {@code hasMore} says
 * whether more exist beyond the page in the direction asked (newer for {@code after}, older for
 * {@code before} and for the latest page).
 */
@RegisterForReflection
public record MessagePage(String room, List<ReplayMessage> messages, boolean hasMore) {
}
