package dev.chat.gateway.presence;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.connection.UserBudgets;
import dev.chat.gateway.rest.ApiError;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Presence queries per user (the token's subject), REST and WebSocket {@code presence} frames alike: each one scans a
 * room in Redis (179 ms for a room of 100,000), so a user in a loop would slow every send, and a budget per connection
 * alone gave a user twenty of them. Past its budget a REST caller gets 429 {@code rate_limited} with
 * {@code Retry-After}, a frame {@code rate_limited}. At most {@link #MAX_CALLERS} callers are remembered
 * ({@link UserBudgets}).
 */
@ApplicationScoped
public class PresenceQueryBudgets {

    static final int MAX_CALLERS = 100_000;

    private final UserBudgets callers;

    public PresenceQueryBudgets(GatewayConfig config) {
        this.callers = new UserBudgets(config.limits().restPerSecond(), config.limits().restBurst(), MAX_CALLERS);
    }

    /** Spends one query of {@code caller}'s budget; throws 429 past it. */
    void spend(String caller) {
        if (!callers.tryTake(caller)) {
            throw refused(callers.isFull() ? "too many callers at once; retry" : "too many presence queries; retry later");
        }
    }

    /** Spends one query of {@code user}'s budget; false past it, or while {@link #MAX_CALLERS} others are remembered. */
    public boolean tryTake(String user) {
        return callers.tryTake(user);
    }

    @Scheduled(every = "60s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void forgetIdleCallers() {
        callers.forgetRested();
    }

    private static WebApplicationException refused(String message) {
        return new WebApplicationException(message, null, Response.status(429).type(MediaType.APPLICATION_JSON)
                .header("Retry-After", "1").entity(new ApiError.Body("rate_limited", message)).build());
    }
}
