package dev.chat.gateway.connection;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Ends a connection with 1008 when the token it was opened with expires: a revoked session cannot
 * linger. One sweep a second over all sessions instead of a timer per connection (memory per idle connection).
 */
@ApplicationScoped
public class TokenExpiry {

    private final ChatSessions sessions;

    public TokenExpiry(ChatSessions sessions) {
        this.sessions = sessions;
    }

    @Scheduled(every = "${chat.limits.expiry-check-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void closeExpired() {
        long now = System.currentTimeMillis();
        for (ChatSession session : sessions.all()) {
            if (session.expiresAt() <= now) {
                session.close(ChatSession.POLICY_VIOLATION, "token expired");
            }
        }
    }
}
