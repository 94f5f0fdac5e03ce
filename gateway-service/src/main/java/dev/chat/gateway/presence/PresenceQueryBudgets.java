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
 * REST presence queries per caller (the token's subject): each one scans a room in Redis, so a caller in a loop would
 * slow every send. Past its budget a caller gets 429 {@code rate_limited} with {@code Retry-After}. Bounded: a caller whose
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
        TokenBucket bucket = callers.get(caller);
        if (bucket == null) {
            if (callers.size() >= MAX_CALLERS) {
                throw refused("too many callers at once; retry");
            }
            bucket = callers.computeIfAbsent(caller, c -> new TokenBucket(perSecond, burst));
        }
        if (!bucket.tryTake()) {
            throw refused("too many presence queries; retry later");
        }
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
