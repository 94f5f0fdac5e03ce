package dev.chat.history.store;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;

/**
 * Hibernate Reactive Panache keeps its session in a Vert.x duplicated context flagged safe, which only
 * HTTP requests get by themselves. Work started elsewhere (a Redis subscriber callback, a timer, a
 * startup hook) runs through here, each call on a fresh duplicated context of its own, so two batches
 * never share a session.
 */
@ApplicationScoped
public class DatabaseContexts {

    private final Vertx vertx;

    public DatabaseContexts(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Runs {@code work} (typically a {@code @WithSession} or {@code @WithTransaction} repository call)
     * on a new safe duplicated context of the caller's event loop (or of any event loop when called
     * from another thread). The result is delivered on that duplicated context.
     */
    public <T> Uni<T> run(Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(v -> {
                Uni<T> uni;
                try {
                    uni = work.get();
                } catch (RuntimeException e) {
                    emitter.fail(e);
                    return;
                }
                uni.subscribe().with(emitter::complete, emitter::fail);
            });
        });
    }
}
