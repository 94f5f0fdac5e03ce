package dev.chat.history.replay;

import dev.chat.history.HistoryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;

/**
 * Decides whether a REST query runs now, waits, or is refused (the bounds of {@code chat.api}). Refused at once: while
 * answers not yet taken by slow clients hold more than their budget (503), and past a user's own requests in flight
 * (429). Admitted ones go through one bulkhead: a bounded number run against the pool ingest shares, a bounded number
 * wait, and the rest are answered 503.
 */
@ApplicationScoped
public class ReadAdmission {

    private final QueryBulkhead bulkhead;
    private final UnflushedResponses unflushed;
    private final long maxUnflushed;
    private final int perUser;
    /** Requests in flight per user; a user leaves the map with its last one, so it holds no more users than requests. */
    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();
    private final Counter refusedForUser;
    private final Counter refusedForUnflushed;

    ReadAdmission(HistoryConfig config, QueryBulkhead bulkhead, UnflushedResponses unflushed, MeterRegistry registry) {
        HistoryConfig.Api api = config.api();
        this.bulkhead = bulkhead;
        this.unflushed = unflushed;
        this.maxUnflushed = api.unflushedBytes().asLongValue();
        this.perUser = api.queriesPerUser();
        this.refusedForUser = refused(registry, "user");
        this.refusedForUnflushed = refused(registry, "unflushed");
    }

    private static Counter refused(MeterRegistry registry, String reason) {
        return Counter.builder("chat.history.api.refused").tag("reason", reason)
                .description("REST requests refused before their query: a user's requests in flight (429), or answers unread by slow clients (503)")
                .register(registry);
    }

    /** Runs {@code query} for {@code user} within the bounds, or fails with the {@link ApiException} that refuses it. */
    @SuppressWarnings("unchecked")
    public <T> Uni<T> run(String user, Supplier<Uni<T>> query) {
        return Uni.createFrom().deferred(() -> {
            if (overUnflushedBudget()) {
                return Uni.createFrom().failure(busy());
            }
            if (!enter(user)) {
                refusedForUser.increment();
                return Uni.createFrom().failure(new ApiException(429, "rate_limited",
                        "too many requests of this user at once; retry when one is answered"));
            }
            Context origin = Vertx.currentContext();
            // Checked again when a query that waited starts: the answers of those that ran meanwhile count.
            Supplier<Uni<Object>> onOrigin = () -> overUnflushedBudget() ? Uni.createFrom().failure(busy())
                    : (Uni<Object>) onContext(origin, query);
            return ((Uni<T>) bulkhead.run(onOrigin))
                    .onFailure(BulkheadException.class).transform(e -> busy())
                    .onTermination().invoke(() -> leave(user));
        });
    }

    /**
     * A query that waited in the bulkhead starts when another one ends, on that one's context. Hibernate Reactive keeps
     * its session in the context: the query goes back to its own request's.
     */
    private static <T> Uni<T> onContext(Context origin, Supplier<Uni<T>> query) {
        if (origin == null || Vertx.currentContext() == origin) {
            return query.get();
        }
        return Uni.createFrom().<T>deferred(query::get).runSubscriptionOn(task -> origin.runOnContext(v -> task.run()));
    }

    private boolean overUnflushedBudget() {
        if (unflushed.bytes() <= maxUnflushed) {
            return false;
        }
        refusedForUnflushed.increment();
        return true;
    }

    private boolean enter(String user) {
        int[] count = new int[1];
        inFlight.compute(user, (u, n) -> {
            count[0] = n == null ? 1 : n + 1;
            return count[0] > perUser ? n : count[0];
        });
        return count[0] <= perUser;
    }

    private void leave(String user) {
        inFlight.computeIfPresent(user, (u, n) -> n > 1 ? n - 1 : null);
    }

    private static ApiException busy() {
        return new ApiException(503, "unavailable", "the history service is busy; retry shortly");
    }
}
