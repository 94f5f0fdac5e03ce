package dev.chat.history.ingest;

import dev.chat.history.Backoff;
import dev.chat.history.HistoryConfig;
import dev.chat.history.store.BatchOutcome;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import dev.chat.history.store.RoomMembership;
import dev.chat.history.unread.PostedRooms;
import dev.chat.history.store.StoreFailures;
import io.micrometer.core.instrument.Counter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Writes received messages to PostgreSQL in batches, one statement at a time, retrying with backoff while the database
 * fails. Messages wait in a bounded in-memory queue; a message the full queue cannot take is reported to ingest, which
 * reads it back from the recent log. A message that cannot be stored (refused for good, or failing alone while others
 * pass, for a reason that is not the database's own) goes to the dead-letter stream, so it never stops the rest. Confined
 * to the ingest context.
 */
@Singleton
public class IngestWriter {

    /** What a queued message holds besides its strings' characters: the record, the strings' headers, the queue entry. */
    static final int OVERHEAD_BYTES = 160;

    /** Conflicts logged one by one per batch; beyond, one line with the count (all are counted and dead-lettered). */
    private static final int CONFLICTS_LOGGED = 10;

    private final MessageWriter store;
    private final DeadLetters deadLetters;
    private final Vertx vertx;
    private final HistoryConfig.Ingest config;
    private final Counter ingested;
    private final Counter backfilled;
    private final Counter dropped;
    private final Counter rejected;
    private final Counter conflicts;
    /** Between failed writes; confined to `context`. */
    private final Backoff backoff;

    // Confined to `context`.
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    /** The batch of the statement being written, if any. */
    private List<Pending> inStatement = List.of();
    /** Rooms whose stored position moved, written with the next batch (the highest per room). */
    private Map<String, Long> positions = new HashMap<>();
    private Context context;
    private Consumer<List<ChatMessage>> onDone;
    private boolean writing;
    /** After a batch failed repeatedly, this many messages are written one per statement to find the culprit. */
    private int isolate;
    private boolean retryScheduled;
    private long lastSuccessAt;

    private volatile int pending;
    /** The heap the pending messages hold, as {@link #footprint} counts it. */
    private long pendingBytes;
    private volatile boolean failing;
    private volatile String lastFailure;

    private final IngestTraces traces;
    private final PostedRooms postedRooms;

    public IngestWriter(MessageWriter store, PostedRooms postedRooms, DeadLetters deadLetters, Vertx vertx, HistoryConfig config,
            MeterRegistry registry, IngestTraces traces) {
        this.store = store;
        this.postedRooms = postedRooms;
        this.deadLetters = deadLetters;
        this.traces = traces;
        this.vertx = vertx;
        this.config = config.ingest();
        this.backoff = new Backoff(this.config.minRetryBackoff(), this.config.maxRetryBackoff());
        this.ingested = Counter.builder("chat.history.ingested").description("Messages stored in PostgreSQL").register(registry);
        this.backfilled = Counter.builder("chat.history.backfilled")
                .description("Messages stored from a room's recent log after they were missed live").register(registry);
        this.dropped = Counter.builder("chat.history.ingest.dropped")
                .description("Messages not queued because the in-memory queue was full (read again from the recent log at once)")
                .register(registry);
        this.rejected = Counter.builder("chat.history.ingest.rejected")
                .description("Messages PostgreSQL refused for good (a data error, not an outage); dead-lettered").register(registry);
        this.conflicts = Counter.builder("chat.history.ingest.conflicts")
                .description("Messages for a (room, seq) already stored with other content: Redis handed out a seq twice").register(registry);
        Gauge.builder("chat.history.ingest.pending", this, IngestWriter::pending)
                .description("Messages received but not yet stored").register(registry);
        Gauge.builder("chat.history.ingest.failing", this, w -> w.failing ? 1 : 0)
                .description("1 while writes to PostgreSQL fail (messages wait in memory and in the recent log)").register(registry);
    }

    /**
     * Starts writing on {@code context}; {@code onDone} is told, on that context, of messages that are no longer
     * pending: stored, or dead-lettered.
     */
    void start(Context context, Consumer<List<ChatMessage>> onDone) {
        this.context = context;
        this.onDone = onDone;
    }

    /** Queues a message; false when the queue is full and the message was not taken. */
    boolean offer(ChatMessage message, boolean fromLog) {
        long bytes = footprint(message);
        // A message larger than the byte bound alone is taken when nothing else is pending, or it would never be.
        if (queue.size() >= config.maxPending() || pending > 0 && pendingBytes + bytes > config.maxPendingBytes().asLongValue()) {
            dropped.increment();
            return false;
        }
        queue.add(new Pending(message, fromLog, bytes));
        pending++;
        pendingBytes += bytes;
        kick();
        return true;
    }

    /** Records that every seq of the room up to {@code seq} is stored or known lost; written with the next batch. */
    void recordStored(String room, long seq) {
        positions.merge(room, seq, Math::max);
        kick();
    }

    private void kick() {
        if (!writing && !retryScheduled) {
            writing = true;
            writeSoon();
        }
    }

    /** Writes when a batch is full, else after the linger, so the messages on their way join this statement. */
    private void writeSoon() {
        long linger = config.batchLinger().toMillis();
        if (queue.isEmpty() && positions.isEmpty()) {
            writing = false;
        } else if (queue.size() >= config.batchSize() || linger <= 0 || isolate > 0) {
            context.runOnContext(v -> writeNext());
        } else {
            vertx.setTimer(linger, t -> context.runOnContext(v -> writeNext()));
        }
    }

    /** Messages received but not yet stored (queued or in the statement being written). */
    public int pending() {
        return pending;
    }

    /** The messages with a {@code cid} that are received but not stored yet: queued, or in the statement being written. */
    List<ChatMessage> unstoredWithCid() {
        return Stream.concat(inStatement.stream(), queue.stream()).map(p -> p.message).filter(m -> m.cid() != null).toList();
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
        return queue.size() < config.maxPending() / 2 && pendingBytes < config.maxPendingBytes().asLongValue() / 2;
    }

    /** An upper bound of the heap a queued message holds: its strings at two bytes a character, and the rest. */
    static long footprint(ChatMessage m) {
        return 2L * (m.room().length() + m.from().length() + m.text().length() + (m.cid() == null ? 0 : m.cid().length()))
                + OVERHEAD_BYTES;
    }

    private void writeNext() {
        if (queue.isEmpty() && positions.isEmpty()) {
            writing = false;
            return;
        }
        writing = true;
        int size = isolate > 0 ? Math.min(1, queue.size()) : Math.min(queue.size(), config.batchSize());
        List<Pending> batch = new ArrayList<>(size);
        List<ChatMessage> messages = new ArrayList<>(size);
        List<Boolean> fromLog = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            Pending p = queue.poll();
            batch.add(p);
            messages.add(p.message);
            fromLog.add(p.fromLog);
        }
        inStatement = batch;
        Map<String, Long> marks = positions;
        positions = new HashMap<>();
        Span span = traces.startInsert(messages);
        List<RoomMembership> memberships = postedRooms.unwritten(messages);
        store.write(new MessageBatch(messages, fromLog, marks, memberships))
                .ifNoItem().after(config.writeTimeout()).failWith(() -> new WriteTimedOut(config.writeTimeout()))
                .subscribe().with(
                outcome -> {
                    span.end();
                    context.runOnContext(v -> {
                        postedRooms.written(memberships);
                        written(batch, messages, outcome);
                    });
                },
                failure -> {
                    span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
                    span.end();
                    context.runOnContext(v -> failed(batch, marks, failure));
                });
    }

    private void written(List<Pending> batch, List<ChatMessage> messages, BatchOutcome outcome) {
        inStatement = List.of();
        pending -= batch.size();
        for (Pending p : batch) {
            pendingBytes -= p.bytes;
        }
        isolate = Math.max(0, isolate - batch.size());
        if (failing) {
            Log.infof("PostgreSQL accepts writes again; %d messages waiting", pending);
        }
        failing = false;
        lastFailure = null;
        backoff.reset();
        lastSuccessAt = System.nanoTime();
        ingested.increment(outcome.inserted());
        backfilled.increment(outcome.insertedFromLog());
        if (!outcome.conflicts().isEmpty()) {
            conflicted(outcome.conflicts());
        }
        if (!messages.isEmpty()) {
            onDone.accept(messages);
        }
        writeSoon();
    }

    /** A different message already holds the (room, seq): Redis went back in time. Keep the stored one, dead-letter the other. */
    private void conflicted(List<BatchOutcome.Conflict> found) {
        conflicts.increment(found.size());
        int logged = 0;
        List<ChatMessage> offered = new ArrayList<>(found.size());
        for (BatchOutcome.Conflict c : found) {
            ChatMessage m = c.offered();
            offered.add(m);
            if (logged++ < CONFLICTS_LOGGED) {
                Log.errorf("Room %s seq %d is already stored with another message (from %s at %d, now from %s at %d): Redis handed "
                        + "out this seq twice (it lost data without losing its generation marker?); the new one goes to %s",
                        m.room(), m.seq(), c.storedFrom(), c.storedTs(), m.from(), m.ts(), config.deadLetterStream());
            }
        }
        deadLetters.addAll(offered, "conflict: seq already stored with another message").subscribe().with(ok -> {
        });
        if (found.size() > CONFLICTS_LOGGED) {
            Log.errorf("%d more conflicting messages in the same batch", found.size() - CONFLICTS_LOGGED);
        }
    }

    private void failed(List<Pending> batch, Map<String, Long> marks, Throwable failure) {
        inStatement = List.of();
        marks.forEach((room, seq) -> positions.merge(room, seq, Math::max));
        String reason = StoreFailures.reason(failure);
        if (StoreFailures.refusedForGood(failure)) {
            if (batch.size() > 1) {
                requeue(batch);
                isolate = batch.size();
                Log.warnf("PostgreSQL refused a batch of %d messages (%s); writing them one by one", batch.size(), reason);
            } else if (batch.size() == 1) {
                rejected.increment();
                giveUp(batch.get(0), "refused by PostgreSQL: " + reason);
            }
            writeNext();
            return;
        }
        for (Pending p : batch) {
            if (p.failures++ == 0) {
                p.firstFailureAt = System.nanoTime();
            }
        }
        if (batch.size() == 1 && batch.get(0).failures >= config.splitAfter()) {
            Pending p = batch.get(0);
            if (!StoreFailures.passing(failure) && lastSuccessAt - p.firstFailureAt > 0) {
                // Other writes succeed while this one keeps failing: it is the message, not the database. Not for a lost
                // connection, a timeout or a failover's read-only standby: while PostgreSQL flaps, other writes pass
                // between this one's failures, and setting it aside would leave a hole in the history for nothing.
                giveUp(p, "failing alone while other writes succeed: " + reason);
                writeNext();
                return;
            }
            // Behind the others, so one message cannot hold the rest back; if they pass, it is the culprit.
            isolate = Math.max(0, isolate - 1);
            queue.addLast(p);
        } else {
            requeue(batch);
            if (batch.size() > 1 && batch.get(0).failures >= config.splitAfter()) {
                isolate = batch.size();
                Log.warnf("A batch of %d messages failed %d times (%s); writing them one by one", batch.size(), batch.get(0).failures, reason);
            }
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

    /** Back to the front, so they are retried first; inserts are idempotent, so order does not matter for correctness. */
    private void requeue(List<Pending> batch) {
        for (int i = batch.size() - 1; i >= 0; i--) {
            queue.addFirst(batch.get(i));
        }
    }

    private void giveUp(Pending p, String reason) {
        ChatMessage message = p.message;
        Log.errorf("Message %d of room %s cannot be stored (%s); it goes to %s", message.seq(), message.room(), reason,
                config.deadLetterStream());
        pending--;
        pendingBytes -= p.bytes;
        isolate = Math.max(0, isolate - 1);
        deadLetters.add(message, reason).subscribe().with(ok -> {
        });
        onDone.accept(List.of(message));
    }

    /** A write PostgreSQL did not answer in time: retried like an outage (it has no SQLSTATE), never blamed on its messages. */
    static final class WriteTimedOut extends RuntimeException implements StoreFailures.Timeout {
        WriteTimedOut(Duration after) {
            super("no answer from PostgreSQL within " + after.toMillis() + " ms", null, false, false);
        }
    }

    /** A queued message; the failure count is confined to the ingest context. */
    private static final class Pending {
        final ChatMessage message;
        final boolean fromLog;
        final long bytes;
        int failures;
        long firstFailureAt;

        Pending(ChatMessage message, boolean fromLog, long bytes) {
            this.message = message;
            this.fromLog = fromLog;
            this.bytes = bytes;
        }
    }
}
