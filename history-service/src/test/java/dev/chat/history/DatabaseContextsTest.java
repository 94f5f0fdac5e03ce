package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.chat.history.store.DatabaseContexts;
import dev.chat.history.store.MessageRepository;
import dev.chat.history.unread.ActivityEntry;
import dev.chat.history.unread.ActivityWriter;
import dev.chat.history.unread.RoomUnread;
import dev.chat.history.unread.UnreadRepository;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Why Panache work started outside a request (re-seeding's reads) goes through {@link DatabaseContexts}: Hibernate Reactive Panache refuses to work on a
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
    UnreadRepository unread;

    @Inject
    ActivityWriter writer;

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
    void readsWorkOnAFreshSafeContextFromAnEventLoopCallback() throws Exception {
        String user = Gateway.uniqueUser("safe");
        String room = Gateway.uniqueRoom("safe");
        writer.write(List.of(new ActivityEntry(ActivityEntry.Kind.JOIN, user, room, 0, 1L),
                new ActivityEntry(ActivityEntry.Kind.READ, user, room, 5, 2L))).await().atMost(Duration.ofSeconds(10));
        CompletableFuture<List<RoomUnread>> read = new CompletableFuture<>();
        // Like a Redis subscriber callback: on an event-loop context that is not a safe duplicated one.
        vertx.getOrCreateContext().runOnContext(v -> databaseContexts.run(() -> unread.rooms(user, 999, 10))
                .subscribe().with(read::complete, read::completeExceptionally));

        List<RoomUnread> rooms = read.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(room), rooms.stream().map(RoomUnread::room).toList());
        assertEquals(5L, rooms.get(0).readSeq());
    }
}
