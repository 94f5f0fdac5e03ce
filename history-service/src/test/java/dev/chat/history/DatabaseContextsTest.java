package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.DatabaseContexts;
import dev.chat.history.store.MessageRepository;
import dev.chat.history.store.StoredMessage;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Why ingest writes through {@link DatabaseContexts}: Hibernate Reactive Panache refuses to work on a
 * plain event-loop context (where Redis callbacks run) and works on the fresh safe duplicated
 * context DatabaseContexts provides.
 */
@QuarkusTest
class DatabaseContextsTest {

    @Inject
    DatabaseContexts databaseContexts;

    @Inject
    MessageRepository repository;

    @Inject
    Vertx vertx;

    @Test
    void panacheRefusesAPlainEventLoopContext() throws Exception {
        String room = Gateway.uniqueRoom("plain");
        CompletableFuture<Long> result = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(v -> {
            try {
                repository.maxSeq(room).subscribe().with(result::complete, result::completeExceptionally);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> result.get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, failure.getCause());
    }

    @Test
    void writesAndReadsWorkOnAFreshSafeContextFromAnEventLoopCallback() throws Exception {
        String room = Gateway.uniqueRoom("safe");
        List<ChatMessage> messages = List.of(new ChatMessage(room, 1, "alice", "one", 1L, null),
                new ChatMessage(room, 2, "bob", "two", 2L, "c2"),
                new ChatMessage(room, 1, "alice", "duplicate in the same batch", 3L, null));
        CompletableFuture<List<StoredMessage.Key>> inserted = new CompletableFuture<>();
        // Like a Redis subscriber callback: on an event-loop context that is not a safe duplicated one.
        vertx.getOrCreateContext().runOnContext(v -> databaseContexts.run(() -> repository.insertAll(messages))
                .subscribe().with(inserted::complete, inserted::completeExceptionally));

        assertEquals(Set.of(new StoredMessage.Key(room, 1), new StoredMessage.Key(room, 2)), Set.copyOf(inserted.get(10, TimeUnit.SECONDS)));
        assertEquals(2L, databaseContexts.run(() -> repository.maxSeq(room)).await().atMost(Duration.ofSeconds(10)));
        // Inserting again stores nothing new.
        assertTrue(databaseContexts.run(() -> repository.insertAll(messages)).await().atMost(Duration.ofSeconds(10)).isEmpty());
    }
}
