package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertSame;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Mutiny runs the gateway's callbacks as they were given: no thread context (ArC's request scope, OpenTelemetry's
 * context) is captured when a Uni is built and restored around each callback. Every connect, join, send and Redis
 * reply goes through such callbacks, and the gateway reads nothing they would carry (application.properties,
 * "Context propagation").
 */
@QuarkusTest
class CallbackContextTest {

    @Test
    void callbacksAreNotWrapped() {
        Consumer<Object> consumer = item -> { };
        Function<Object, Object> function = item -> item;
        Supplier<Object> supplier = Object::new;
        BiFunction<Object, Object, Object> biFunction = (a, b) -> a;
        Runnable runnable = () -> { };

        assertSame(consumer, Infrastructure.decorate(consumer));
        assertSame(function, Infrastructure.decorate(function));
        assertSame(supplier, Infrastructure.decorate(supplier));
        assertSame(biFunction, Infrastructure.decorate(biFunction));
        assertSame(runnable, Infrastructure.decorate(runnable));
    }
}
