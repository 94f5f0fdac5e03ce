package dev.chat.history.replay;

import io.smallrye.faulttolerance.api.AsynchronousNonBlocking;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.Bulkhead;

/**
 * The one bulkhead all REST queries pass: {@code chat.api.concurrent-queries} run, {@code chat.api.queued-queries} wait
 * (application.properties hands both to SmallRye Fault Tolerance), and past them the query fails with a
 * {@code BulkheadException} at once. The values here are only the annotation's placeholders.
 */
@ApplicationScoped
public class QueryBulkhead {

    @Bulkhead(value = 8, waitingTaskQueue = 64)
    @AsynchronousNonBlocking
    public Uni<Object> run(Supplier<Uni<Object>> query) {
        return query.get();
    }
}
