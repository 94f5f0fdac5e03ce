package dev.chat.history.replay;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** One message in a replay page, with the fields of the protocol's {@code message} frame. */
@RegisterForReflection
public record ReplayMessage(String room, long seq, String from, String text, long ts) {
}
