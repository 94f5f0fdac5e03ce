package dev.chat.history.ingest;

import dev.chat.history.Backoff;
import dev.chat.history.HistoryConfig;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.DatabaseContexts;
import dev.chat.history.store.MessageRepository;
import dev.chat.history.store.StoreFailures;
import dev.chat.history.store.StoredMessage;
import io.micrometer.core.instrument.Counter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes received messages to PostgreSQL in batches, one transaction at a time, retrying with
 * backoff while the database fails. Messages wait in a bounded in-memory queue; nothing is lost when
 * the queue is full, since the gateway keeps unstored messages in the recent log for the sweep.
 * Confined to the ingest context.
 */
@ApplicationScoped
public class IngestWriter {

    private final MessageRepository repository;
    private final DatabaseContexts databaseContexts;
    private final Vertx vertx;
    private final HistoryConfig.Ingest config;
    private final Counter ingested;
    private final Counter backfilled;
    private final Counter dropped;
    private final Counter rejected;
    /** Between failed writes; confined to `context`. */
    private final Backoff backoff;

    // Confined to `context`.
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private Context context;
    private Consumer<List<ChatMessage>> onDone;
    private boolean writing;
    /** After PostgreSQL refused a batch for its data, this many messages are written one per transaction to find the culprit. */
    private int isolate;
    private boolean retryScheduled;

    private volatile int pending;
    private volatile boolean failing;
    private volatile String lastFailure;

    private final IngestTraces traces;

    public IngestWriter(MessageRepository repository, DatabaseContexts databaseContexts, Vertx vertx, HistoryConfig config,
            MeterRegistry registry, IngestTraces traces) {
        this.traces = traces;
        this.repository = repository;
        this.databaseContexts = databaseContexts;
        this.vertx = vertx;
        this.config = config.ingest();
        this.backoff = new Backoff(this.config.minRetryBackoff(), this.config.maxRetryBackoff());
        this.ingested = Counter.builder("chat.history.ingested").description("Messages stored in PostgreSQL").register(registry);
        this.backfilled = Counter.builder("chat.history.backfilled")
                .description("Messages stored from a room's recent log after they were missed live").register(registry);
        this.dropped = Counter.builder("chat.history.ingest.dropped")
                .description("Messages not queued because the in-memory queue was full (read again from the recent log later)")
                .register(registry);
        this.rejected = Counter.builder("chat.history.ingest.rejected")
                .description("Messages PostgreSQL refused for good (a data error, not an outage); skipped").register(registry);
        Gauge.builder("chat.history.ingest.pending", this, IngestWriter::pending)
                .description("Messages received but not yet stored").register(registry);
    }

    /**
     * Starts writing on {@code context}; {@code onDone} is told, on that context, of messages that are
     * no longer pending: stored, or refused by PostgreSQL for good.
     */
    void start(Context context, Consumer<List<ChatMessage>> onDone) {
        this.context = context;
        this.onDone = onDone;
    }

    /** Queues a message; false when the queue is full and the message was not taken. */
    boolean offer(ChatMessage message, boolean fromLog) {
        if (queue.size() >= config.maxPending()) {
            dropped.increment();
            return false;
        }
        queue.add(new Pending(message, fromLog));
        pending++;
        if (!writing && !retryScheduled) {
            // Let the messages already on their way join this batch.
            writing = true;
            context.runOnContext(v -> writeNext());
        }
        return true;
    }

    /** Messages received but not yet stored (queued or in the transaction being written). */
    public int pending() {
        return pending;
    }

    /** Whether the last database write failed (and is being retried). */
    public boolean failing() {
        return failing;
    }

    public String lastFailure() {
        return lastFailure;
    }

    /** Whether reading more from the recent log is worth it now (the queue is less than half full). */
    boolean hasRoomForMore() {
        return queue.size() < config.maxPending() / 2;
    }

    private void writeNext() {
        if (queue.isEmpty()) {
            writing = false;
            return;
        }
        writing = true;
        int size = isolate > 0 ? 1 : Math.min(queue.size(), config.batchSize());
        List<Pending> batch = new ArrayList<>(size);
        List<ChatMessage> messages = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            Pending p = queue.poll();
            batch.add(p);
            messages.add(p.message());
        }
        Span span = traces.startInsert(messages);
        databaseContexts.run(() -> repository.insertAll(messages)).subscribe().with(
                inserted -> {
                    span.end();
                    context.runOnContext(v -> written(batch, messages, inserted));
                },
                failure -> {
                    span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                    span.end();
                    context.runOnContext(v -> failed(batch, failure));
                });
    }

    private void written(List<Pending> batch, List<ChatMessage> messages, List<StoredMessage.Key> inserted) {
        pending -= batch.size();
        isolate = Math.max(0, isolate - batch.size());
        if (failing) {
            Log.infof("PostgreSQL accepts writes again; %d messages waiting", pending);
        }
        failing = false;
        lastFailure = null;
        backoff.reset();
        ingested.increment(inserted.size());
        Set<StoredMessage.Key> fresh = new HashSet<>(inserted);
        long fromLog = 0;
        for (Pending p : batch) {
            if (p.fromLog() && fresh.remove(new StoredMessage.Key(p.message().room(), p.message().seq()))) {
                fromLog++;
            }
        }
        backfilled.increment(fromLog);
        onDone.accept(messages);
        writeNext();
    }

    private void failed(List<Pending> batch, Throwable failure) {
        String reason = StoreFailures.reason(failure);
        if (StoreFailures.refusedForGood(failure)) {
            skipRefused(batch, reason);
            return;
        }
        // Back to the front, so they are retried first; inserts are idempotent, so order does not matter for correctness.
        for (int i = batch.size() - 1; i >= 0; i--) {
            queue.addFirst(batch.get(i));
        }
        if (!failing) {
            Log.warnf("Storing %d messages failed (%s); retrying with backoff, %d waiting in memory", batch.size(), reason, pending);
        } else {
            Log.debugf(failure, "Storing messages failed again; %d waiting", pending);
        }
        failing = true;
        lastFailure = reason;
        writing = false;
        retryScheduled = true;
        vertx.setTimer(backoff.next(), t -> context.runOnContext(v -> {
            retryScheduled = false;
            writing = true;
            writeNext();
        }));
    }

    /** Finds the refused message by writing the batch one message at a time, then skips it so it cannot block the rest. */
    private void skipRefused(List<Pending> batch, String reason) {
        if (batch.size() > 1) {
            for (int i = batch.size() - 1; i >= 0; i--) {
                queue.addFirst(batch.get(i));
            }
            isolate = batch.size();
            Log.warnf("PostgreSQL refused a batch of %d messages (%s); writing them one by one", batch.size(), reason);
        } else {
            ChatMessage message = batch.get(0).message();
            Log.errorf("PostgreSQL refused message %d of room %s for good (%s); skipping it", message.seq(), message.room(), reason);
            rejected.increment();
            pending--;
            isolate = Math.max(0, isolate - 1);
            onDone.accept(List.of(message));
        }
        writeNext();
    }

    private record Pending(ChatMessage message, boolean fromLog) {
    }
}
