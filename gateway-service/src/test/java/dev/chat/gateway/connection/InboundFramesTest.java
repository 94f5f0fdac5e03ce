package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection's frames are handled one at a time, in arrival order, those queued behind a frame on the context it
 * arrived on; once the queue is empty the connection keeps no frame's context (each holds a map of its own, and an
 * idle connection would keep its last one for its whole life).
 */
class InboundFramesTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void framesQueuedBehindABusyOneAreHandledInOrderAndTheQueueThenLetsGoOfTheirContext() {
        InboundFrames frames = new InboundFrames(null);
        InboundFrames.Limits limits = new InboundFrames.Limits(16, 1 << 16);
        List<String> handled = new CopyOnWriteArrayList<>();
        List<Promise<Void>> answers = new CopyOnWriteArrayList<>();
        Function<String, Uni<Void>> handler = text -> {
            handled.add(text + "@" + (Vertx.currentContext() == null ? "none" : "context"));
            Promise<Void> answer = Promise.promise();
            answers.add(answer);
            return Uni.createFrom().completionStage(answer.future().toCompletionStage());
        };
        Context frameContext = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        WeakReference<Context> weakContext = new WeakReference<>(frameContext);
        frameContext.runOnContext(v -> {
            frames.release(limits, handler);
            frames.arrived("first", limits, handler);
            frames.arrived("second", limits, handler);
        });
        frameContext = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == 1);
        // The first frame's answer completes on another thread (a Redis reply, say): the second runs on the first's context.
        answers.get(0).complete();
        await().atMost(Duration.ofSeconds(10)).until(() -> answers.size() == 2);
        answers.get(1).complete();
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.waiting() == 0);
        assertEquals(List.of("first@context", "second@context"), handled);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            System.gc();
            return weakContext.get() == null;
        });
    }
}
