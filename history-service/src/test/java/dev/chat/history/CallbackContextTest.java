package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Ingest's and replay's Mutiny callbacks run as they were given, with no thread context captured and restored
 * around each one (application.properties, "Context propagation"); Hibernate Reactive's session and tracing's
 * context live in the Vert.x context instead (IngestTest, ReplayResourceTest and TracingTest run with this).
 */
@QuarkusTest
class CallbackContextTest {

    @Test
    void callbacksAreNotWrapped() {
        Function<Object, Object> mapper = item -> item;
        Runnable action = () -> { };

        assertSame(mapper, Infrastructure.decorate(mapper));
        assertSame(action, Infrastructure.decorate(action));
    }
}
