package dev.chat.history.ingest;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Caps how many Redis operations ingest has in flight, so a burst (many new rooms at once, a sweep
 * after a reconnect) queues here instead of overflowing the Redis client pool's wait queue. Confined
 * to one Vert.x context: subscribe on it, and results are delivered on it.
 */
final class Throttle {

    private final Context context;
    private final int limit;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int running;

    Throttle(Context context, int limit) {
        this.context = context;
        this.limit = limit;
    }

    <T> Uni<T> submit(Supplier<Uni<T>> operation) {
        return Uni.createFrom().emitter(emitter -> {
            Runnable start = () -> {
                running++;
                Uni<T> uni;
                try {
                    uni = operation.get();
                } catch (RuntimeException e) {
                    finish();
                    emitter.fail(e);
                    return;
                }
                uni.subscribe().with(
                        item -> context.runOnContext(v -> {
                            finish();
                            emitter.complete(item);
                        }),
                        failure -> context.runOnContext(v -> {
                            finish();
                            emitter.fail(failure);
                        }));
            };
            if (running < limit) {
                start.run();
            } else {
                waiting.add(start);
            }
        });
    }

    private void finish() {
        running--;
        Runnable next = waiting.poll();
        if (next != null) {
            next.run();
        }
    }
}
