package dev.chat.gateway.presence;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.connection.TokenBucket;
import dev.chat.gateway.rest.ApiError;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Presence queries per user (the token's subject), REST and WebSocket {@code presence} frames alike: each one scans a
 * room in Redis (179 ms for a room of 100,000), so a user in a loop would slow every send, and a budget per connection
 * alone gave a user twenty of them. Past its budget a REST caller gets 429 {@code rate_limited} with
 * {@code Retry-After}, a frame {@code rate_limited}. Bounded: a caller whose
 * bucket is full again is forgotten every minute; with {@link #MAX_CALLERS} remembered, a new caller is refused until then.
 */
@ApplicationScoped
public class PresenceQueryBudgets {

    static final int MAX_CALLERS = 100_000;

    private final ConcurrentHashMap<String, TokenBucket> callers = new ConcurrentHashMap<>();
    private final double perSecond;
    private final int burst;

    public PresenceQueryBudgets(GatewayConfig config) {
        this.perSecond = config.limits().restPerSecond();
        this.burst = config.limits().restBurst();
    }

    /** Spends one query of {@code caller}'s budget; throws 429 past it. */
    void spend(String caller) {
        if (callers.get(caller) == null && callers.size() >= MAX_CALLERS) {
            throw refused("too many callers at once; retry");
        }
        if (!tryTake(caller)) {
            throw refused("too many presence queries; retry later");
        }
    }

    /** Spends one query of {@code user}'s budget; false past it, or while {@link #MAX_CALLERS} others are remembered. */
    public boolean tryTake(String user) {
        TokenBucket bucket = callers.get(user);
        if (bucket == null) {
            if (callers.size() >= MAX_CALLERS) {
                return false;
            }
            bucket = callers.computeIfAbsent(user, c -> new TokenBucket(perSecond, burst));
        }
        return bucket.tryTake();
    }

    @Scheduled(every = "60s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void forgetIdleCallers() {
        callers.values().removeIf(TokenBucket::isFull);
    }

    private static WebApplicationException refused(String message) {
        return new WebApplicationException(message, null, Response.status(429).type(MediaType.APPLICATION_JSON)
                .header("Retry-After", "1").entity(new ApiError.Body("rate_limited", message)).build());
    }
}
