package dev.chat.gateway.activity;

import dev.chat.gateway.GatewayConfig;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Command;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Joins and read markers, appended to a Redis Stream ({@code chat:activity}) that the history service
 * consumes with a consumer group into PostgreSQL, for {@code GET /users/me/rooms} and unread counts.
 * Entries are coalesced per user and room and written once per flush interval in pipelines: of many
 * {@code read} frames for a room only the highest position is written, and a join storm costs one
 * round trip per batch instead of a pooled connection per join.
 */
@ApplicationScoped
public class ActivityLog {

    private static final String MAX_LENGTH = "1000000";
    private static final int BATCH = 256;

    private final ReactiveRedisDataSource redis;
    private final Vertx vertx;
    private final String stream;
    private final GatewayConfig.Activity settings;

    // Guarded by `this`: type|user|room -> highest seq (0 for joins), in arrival order.
    private Map<Key, Long> pending = new LinkedHashMap<>();
    private boolean flushing;
    private long timer = -1;

    public ActivityLog(ReactiveRedisDataSource redis, GatewayConfig config, Vertx vertx) {
        this.redis = redis;
        this.vertx = vertx;
        this.stream = config.activityStream();
        this.settings = config.activity();
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(settings.flushInterval().toMillis(), t -> flush());
    }

    void stop(@Observes ShutdownEvent event) {
        vertx.cancelTimer(timer);
        flush();
    }

    /** A connection's first join of a room; written with the next flush. */
    public void joined(String user, String room) {
        synchronized (this) {
            pending.putIfAbsent(new Key("join", user, room), 0L);
        }
    }

    /**
     * Everything up to {@code seq} in {@code room} was read by {@code user}; history keeps the highest per
     * user and room, and so does this buffer until the next flush. Fails with {@link ActivityFull} when
     * the buffer holds its maximum of distinct rooms and users (the client may send it again).
     */
    public Uni<Void> read(String user, String room, long seq) {
        synchronized (this) {
            Key key = new Key("read", user, room);
            if (pending.size() >= settings.maxPending() && !pending.containsKey(key)) {
                return Uni.createFrom().failure(new ActivityFull());
            }
            pending.merge(key, seq, Math::max);
        }
        return Uni.createFrom().voidItem();
    }

    /** Entries waiting for the next flush (tests and diagnostics). */
    public synchronized int pendingCount() {
        return pending.size();
    }

    void flush() {
        Map<Key, Long> batch;
        synchronized (this) {
            if (flushing || pending.isEmpty()) {
                return;
            }
            flushing = true;
            batch = pending;
            pending = new LinkedHashMap<>();
        }
        List<Map.Entry<Key, Long>> entries = new ArrayList<>(batch.entrySet());
        List<List<Map.Entry<Key, Long>>> chunks = new ArrayList<>();
        for (int i = 0; i < entries.size(); i += BATCH) {
            chunks.add(entries.subList(i, Math.min(entries.size(), i + BATCH)));
        }
        Multi.createFrom().iterable(chunks)
                .onItem().transformToUniAndConcatenate(this::write)
                .collect().last()
                .subscribe().with(done -> finished(), failure -> finished());
    }

    private synchronized void finished() {
        flushing = false;
    }

    private Uni<Void> write(List<Map.Entry<Key, Long>> chunk) {
        String ts = Long.toString(System.currentTimeMillis());
        List<Request> requests = new ArrayList<>(chunk.size());
        for (Map.Entry<Key, Long> entry : chunk) {
            Key key = entry.getKey();
            requests.add(Request.cmd(Command.XADD).arg(stream).arg("MAXLEN").arg("~").arg(MAX_LENGTH).arg("*")
                    .arg("type").arg(key.type()).arg("user").arg(key.user()).arg("room").arg(key.room())
                    .arg("seq").arg(Long.toString(entry.getValue())).arg("ts").arg(ts));
        }
        return redis.getRedis().batch(requests).replaceWithVoid()
                .onFailure().recoverWithUni(e -> {
                    Log.warnf("Activity of %d entries not written (%s); retrying in the next flush", chunk.size(), e.getMessage());
                    synchronized (this) {
                        for (Map.Entry<Key, Long> entry : chunk) {
                            pending.merge(entry.getKey(), entry.getValue(), Math::max);
                        }
                    }
                    return Uni.createFrom().voidItem();
                });
    }

    private record Key(String type, String user, String room) {
    }

    /** The coalescing buffer is full: the frame was not recorded. */
    public static final class ActivityFull extends RuntimeException {
        ActivityFull() {
            super("too many read positions waiting to be written", null, false, false);
        }
    }
}
