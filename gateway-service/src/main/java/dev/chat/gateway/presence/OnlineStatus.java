package dev.chat.gateway.presence;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Answer of {@code GET /users/{id}/presence}: online anywhere, and when last seen (epoch ms; null if never). */
@RegisterForReflection
public record OnlineStatus(String user, boolean online, Long lastSeen) {
}
