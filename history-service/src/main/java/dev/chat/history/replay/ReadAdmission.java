package dev.chat.history.replay;

import dev.chat.history.HistoryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.BulkheadException;

/**
 * Decides whether a REST query runs now, waits, or is refused (the bounds of {@code chat.api}). Refused at once: past a
 * user's own requests in flight (429), which count until the client has taken the answer, and when the largest answer
 * the request can get does not fit the budget beside the answers slow clients have not taken (503). Admitted ones go
 * through one bulkhead: a bounded number run against the pool ingest shares, a bounded number wait, and the rest are
 * answered 503. The budget is checked again when a query starts and when it ends, so what is produced past it is at
 * most what the event loops finish at once.
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

    /**
     * Runs {@code query} for {@code user}, whose request arrived on {@code connection}, within the bounds, or fails with
     * the {@link ApiException} that refuses it. {@code largestAnswer} is the most bytes its answer can take: it runs only
     * while that still fits the budget, so a client's default page keeps being served while clients who asked for the
     * largest pages and left them unread hold most of it. Call it on the request's event loop.
     */
    @SuppressWarnings("unchecked")
    public <T> Uni<T> run(String user, HttpConnection connection, long largestAnswer, Supplier<Uni<T>> query) {
        return Uni.createFrom().deferred(() -> {
            if (!enter(user)) {
                refusedForUser.increment();
                return Uni.createFrom().failure(new ApiException(429, "rate_limited",
                        "too many requests of this user at once; retry when one is answered"));
            }
            if (overUnflushedBudget(largestAnswer)) {
                leave(user);
                return Uni.createFrom().failure(busy());
            }
            // The user's request counts until its client has taken the answer: one that never reads holds its share.
            unflushed.whenAnswered(connection, () -> leave(user));
            Context origin = Vertx.currentContext();
            // Checked again when a query that waited starts, and when one ends: what ran meanwhile counts once written.
            Supplier<Uni<Object>> onOrigin = () -> overUnflushedBudget(largestAnswer) ? Uni.createFrom().failure(busy())
                    : (Uni<Object>) onContext(origin, query);
            return ((Uni<T>) bulkhead.run(onOrigin))
                    .onFailure(BulkheadException.class).transform(e -> busy())
                    .onItem().transformToUni(answer -> overUnflushedBudget(largestAnswer) ? Uni.createFrom().failure(busy())
                            : Uni.createFrom().item(answer));
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

    /** Whether an answer of up to {@code largestAnswer} bytes would not fit; when nothing waits, any answer fits. */
    private boolean overUnflushedBudget(long largestAnswer) {
        long waiting = unflushed.bytes();
        if (waiting == 0 || waiting + largestAnswer <= maxUnflushed) {
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
