package dev.chat.history.unread;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.history.Backoff;
import dev.chat.history.DedicatedRedisConnection;
import dev.chat.history.HistoryConfig;
import dev.chat.history.store.StoreFailures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Stores the gateway's activity stream (joins and read positions) in PostgreSQL through a Redis consumer group: the
 * history instances share the entries, and an entry is acknowledged only once it is stored, so a crash or a database
 * outage loses nothing (at-least-once; the writes are idempotent). One dedicated connection per instance, because a
 * blocking XREADGROUP would hold a pooled connection for its whole wait; the loop is callbacks on one Vert.x context,
 * so the wait happens inside Redis and never on a thread.
 */
@ApplicationScoped
public class ActivityConsumer {

    /**
     * Where the group starts when it is created: {@code 0}, everything the stream still holds, not {@code $}, only what
     * comes next. The group outlives every instance, so this applies only at history's very first start, or after Redis
     * lost the stream. Both times the entries already there were written by gateways and stored by no one (gateways
     * that ran before history, or since Redis came back, before history re-created the group); {@code $} would drop
     * them for good. Replaying them is safe (the writes are idempotent) and bounded (the gateway's MAXLEN).
     */
    private static final String GROUP_START = "0";
    private static final String NO_MORE_TO_CLAIM = "0-0";

    private static final LuaScript REMOVE_STALE_CONSUMERS = LuaScript.fromResource("scripts/remove-stale-consumers.lua");

    private final Vertx vertx;
    private final HistoryConfig.Activity config;
    private final ActivityWriter writer;
    private final long commandTimeoutMs;
    private final String consumer;
    private final DedicatedRedisConnection connection;
    private final Counter applied;
    private final Counter skipped;
    private final Counter claimed;
    private final Counter retries;
    private final Counter removedConsumers;

    /** Between failed attempts to store entries; confined to `context`. */
    private final Backoff storeBackoff;

    // Confined to `context`.
    private Context context;
    /** After a (re)connect, while re-reading this consumer's own unacknowledged entries: the id to read after. */
    private String ownPendingAfter;
    private long nextClaimAt;

    private volatile boolean failing;

    public ActivityConsumer(Vertx vertx, HistoryConfig config, ActivityWriter writer,
            MeterRegistry registry, RedisDeployment deployment,
            @ConfigProperty(name = "quarkus.redis.timeout", defaultValue = "10s") Duration commandTimeout) {
        this.vertx = vertx;
        this.config = config.activity();
        this.writer = writer;
        this.commandTimeoutMs = commandTimeout.toMillis();
        this.consumer = this.config.consumer().filter(name -> !name.isBlank()).orElseGet(ActivityConsumer::hostName);
        // RESP2: the reply shapes parsed below (RESP3 would turn XREADGROUP's reply into a map).
        this.connection = new DedicatedRedisConnection(vertx,
                DedicatedRedisConnection.options(deployment, "history-activity").setPreferredProtocolVersion(ProtocolVersion.RESP2),
                new Backoff(this.config.minRetryBackoff(), this.config.maxRetryBackoff()), "Activity stream connection",
                "chat-history-activity-").onMasterOf(deployment, this.config.stream());
        this.storeBackoff = new Backoff(this.config.minRetryBackoff(), this.config.maxRetryBackoff());
        this.applied = Counter.builder("chat.history.activity.applied")
                .description("Activity entries (joins, read positions) stored in PostgreSQL").register(registry);
        this.skipped = Counter.builder("chat.history.activity.skipped")
                .description("Activity entries acknowledged without storing: malformed, or refused by PostgreSQL for good")
                .register(registry);
        this.claimed = Counter.builder("chat.history.activity.claimed")
                .description("Activity entries taken over from a consumer that received them and never acknowledged them")
                .register(registry);
        this.retries = Counter.builder("chat.history.activity.retries")
                .description("Failed attempts to store activity entries (they stay unacknowledged and are retried)")
                .register(registry);
        this.removedConsumers = Counter.builder("chat.history.activity.consumers.removed")
                .description("Stale consumers (idle, nothing pending) removed from the activity group").register(registry);
    }

    void start(@Observes StartupEvent event) {
        // Called on the main thread, this creates a context of its own (on one of the event loops) for the loop.
        context = vertx.getOrCreateContext();
        Log.infof("Consuming %s as %s in group %s", config.stream(), consumer, config.group());
        connection.open(context, this::createGroup);
    }

    void stop(@Observes ShutdownEvent event) {
        connection.close();
    }

    public String consumer() {
        return consumer;
    }

    public String clientName() {
        return connection.clientName();
    }

    /** Whether the connection is open and the consumer group exists. */
    public boolean isConnected() {
        return connection.isReady();
    }

    /** Whether the last attempt to store entries failed (they are being retried, unacknowledged). */
    public boolean failing() {
        return failing;
    }

    /** Every new connection first (re-)creates the group: Redis may have lost it along with the stream. */
    private void createGroup(RedisConnection conn) {
        Request create = Request.cmd(Command.XGROUP).arg("CREATE").arg(config.stream()).arg(config.group()).arg(GROUP_START)
                .arg("MKSTREAM");
        send(conn, Request.cmd(Command.CLIENT).arg("SETNAME").arg(connection.clientName()), commandTimeoutMs)
                .otherwiseEmpty()
                .compose(named -> send(conn, create, commandTimeoutMs)
                        // The group already exists: the usual case, every start but the first.
                        .recover(e -> String.valueOf(e.getMessage()).startsWith("BUSYGROUP") ? Future.succeededFuture() : Future.failedFuture(e)))
                .onComplete(created -> {
                    if (!connection.isCurrent(conn)) {
                        return;
                    }
                    if (created.failed()) {
                        abandon(conn, "creating the consumer group failed: " + created.cause().getMessage());
                        return;
                    }
                    connection.ready();
                    ownPendingAfter = "0";
                    nextClaimAt = 0;
                    poll(conn);
                });
    }

    /**
     * One step of the loop; every step ends by calling it again. First this consumer's own unacknowledged entries (from
     * before a crash or a dropped connection), then, from time to time, entries idle at other consumers, otherwise new
     * entries, waiting in Redis up to {@code block} for them.
     */
    private void poll(RedisConnection conn) {
        if (!live(conn)) {
            return;
        }
        if (ownPendingAfter != null) {
            send(conn, readGroup(ownPendingAfter, false), commandTimeoutMs).onComplete(ar -> {
                if (ar.failed()) {
                    abandon(conn, "reading pending entries failed: " + ar.cause().getMessage());
                    return;
                }
                List<Raw> entries = streamEntries(ar.result());
                if (entries.isEmpty()) {
                    ownPendingAfter = null;
                    poll(conn);
                    return;
                }
                ownPendingAfter = entries.get(entries.size() - 1).id();
                handle(conn, entries, () -> poll(conn));
            });
        } else if (System.currentTimeMillis() >= nextClaimAt) {
            claim(conn, NO_MORE_TO_CLAIM);
        } else {
            send(conn, readGroup(">", true), config.block().toMillis() + commandTimeoutMs).onComplete(ar -> {
                if (ar.failed()) {
                    abandon(conn, "XREADGROUP failed: " + ar.cause().getMessage());
                    return;
                }
                List<Raw> entries = streamEntries(ar.result());
                if (entries.isEmpty()) {
                    poll(conn);
                } else {
                    handle(conn, entries, () -> poll(conn));
                }
            });
        }
    }

    /** Takes over entries other consumers (a crashed instance) received more than {@code claim-idle} ago and never acknowledged. */
    private void claim(RedisConnection conn, String cursor) {
        if (!live(conn)) {
            return;
        }
        Request request = Request.cmd(Command.XAUTOCLAIM).arg(config.stream()).arg(config.group()).arg(consumer)
                .arg(config.claimIdle().toMillis()).arg(cursor).arg("COUNT").arg(config.batchSize());
        send(conn, request, commandTimeoutMs).onComplete(ar -> {
            if (ar.failed()) {
                abandon(conn, "XAUTOCLAIM failed: " + ar.cause().getMessage());
                return;
            }
            // [next cursor, claimed entries, ids deleted from the stream (Redis 7 already dropped those from the group)].
            Response reply = ar.result();
            String next = reply.get(0).toString();
            List<Raw> entries = entries(reply.get(1));
            Runnable then = NO_MORE_TO_CLAIM.equals(next) ? () -> {
                nextClaimAt = System.currentTimeMillis() + config.claimInterval().toMillis();
                removeStaleConsumers(conn, () -> poll(conn));
            } : () -> claim(conn, next);
            if (entries.isEmpty()) {
                then.run();
                return;
            }
            Log.infof("Took over %d activity entries another consumer never acknowledged", entries.size());
            claimed.increment(entries.size());
            handle(conn, entries, then);
        });
    }

    /**
     * Removes other consumers idle past {@code stale-consumer-idle} with nothing pending (replicas that are gone: every
     * pod name leaves one behind), so the group does not grow with every deployment. One with entries pending stays
     * until they are claimed: deleting it would drop them from the group unstored.
     */
    private void removeStaleConsumers(RedisConnection conn, Runnable then) {
        if (!live(conn)) {
            return;
        }
        Request remove = REMOVE_STALE_CONSUMERS.eval(List.of(config.stream()),
                List.of(config.group(), consumer, Long.toString(config.staleConsumerIdle().toMillis())));
        send(conn, remove, commandTimeoutMs).onComplete(ar -> {
            if (ar.failed()) {
                Log.debugf("Removing stale activity consumers failed (%s); they stay until the next round", ar.cause().getMessage());
            } else {
                for (Response name : ar.result()) {
                    Log.infof("Removed activity consumer %s (idle over %s, nothing pending)", name, config.staleConsumerIdle());
                    removedConsumers.increment();
                }
            }
            then.run();
        });
    }

    /** Stores the well-formed entries, then acknowledges all of them (a malformed entry would fail on every retry). */
    private void handle(RedisConnection conn, List<Raw> raw, Runnable then) {
        List<ActivityEntry> entries = new ArrayList<>(raw.size());
        List<String> ids = new ArrayList<>(raw.size());
        for (Raw r : raw) {
            ids.add(r.id());
            ActivityEntry entry = ActivityEntry.parse(r.id(), r.fields());
            if (entry == null) {
                Log.debugf("Skipping malformed activity entry %s: %s", r.id(), r.fields());
                skipped.increment();
            } else {
                entries.add(entry);
            }
        }
        store(conn, entries, () -> acknowledge(conn, ids, then));
    }

    private void store(RedisConnection conn, List<ActivityEntry> entries, Runnable then) {
        if (entries.isEmpty()) {
            then.run();
            return;
        }
        writer.write(entries).subscribe().with(
                ok -> context.runOnContext(v -> {
                    if (failing) {
                        Log.info("PostgreSQL accepts activity writes again");
                    }
                    failing = false;
                    storeBackoff.reset();
                    applied.increment(entries.size());
                    then.run();
                }),
                failure -> context.runOnContext(v -> storeFailed(conn, entries, failure, then)));
    }

    private void storeFailed(RedisConnection conn, List<ActivityEntry> entries, Throwable failure, Runnable then) {
        if (StoreFailures.refusedForGood(failure)) {
            if (entries.size() > 1) {
                Log.warnf("PostgreSQL refused a batch of %d activity entries (%s); storing them one by one", entries.size(),
                        StoreFailures.reason(failure));
                storeEach(conn, entries, 0, then);
            } else {
                Log.errorf("PostgreSQL refused activity entry %s for good (%s); skipping it", entries.get(0), StoreFailures.reason(failure));
                skipped.increment();
                then.run();
            }
            return;
        }
        retries.increment();
        if (!failing) {
            Log.warnf("Storing %d activity entries failed (%s); retrying with backoff, not acknowledging them", entries.size(),
                    StoreFailures.reason(failure));
        }
        failing = true;
        vertx.setTimer(storeBackoff.next(), t -> context.runOnContext(v -> {
            // A new connection re-reads these entries as its own pending ones: only one loop may retry them.
            if (live(conn)) {
                store(conn, entries, then);
            }
        }));
    }

    private void storeEach(RedisConnection conn, List<ActivityEntry> entries, int index, Runnable then) {
        if (index == entries.size()) {
            then.run();
            return;
        }
        store(conn, List.of(entries.get(index)), () -> storeEach(conn, entries, index + 1, then));
    }

    private void acknowledge(RedisConnection conn, List<String> ids, Runnable then) {
        if (!live(conn)) {
            // Stored but not acknowledged: the entries come back (own pending, or claimed) and are stored again, harmlessly.
            return;
        }
        Request ack = Request.cmd(Command.XACK).arg(config.stream()).arg(config.group());
        ids.forEach(ack::arg);
        send(conn, ack, commandTimeoutMs).onComplete(ar -> {
            if (ar.failed()) {
                abandon(conn, "XACK failed: " + ar.cause().getMessage());
                return;
            }
            then.run();
        });
    }

    private Request readGroup(String after, boolean block) {
        Request request = Request.cmd(Command.XREADGROUP).arg("GROUP").arg(config.group()).arg(consumer)
                .arg("COUNT").arg(config.batchSize());
        if (block) {
            request.arg("BLOCK").arg(config.block().toMillis());
        }
        return request.arg("STREAMS").arg(config.stream()).arg(after);
    }

    /**
     * Sends on the dedicated connection with a deadline: a connection that died without a word (no FIN, no RST) would
     * otherwise leave the loop waiting forever. Past the deadline the connection is dropped and re-opened.
     */
    private Future<Response> send(RedisConnection conn, Request request, long timeoutMs) {
        Promise<Response> promise = Promise.promise();
        long timer = vertx.setTimer(timeoutMs, t -> {
            if (promise.tryFail(new TimeoutException("no reply from Redis in " + timeoutMs + " ms"))) {
                abandon(conn, "no reply in " + timeoutMs + " ms");
            }
        });
        conn.send(request).onComplete(ar -> {
            vertx.cancelTimer(timer);
            if (ar.succeeded()) {
                promise.tryComplete(ar.result());
            } else {
                promise.tryFail(ar.cause());
            }
        });
        return promise.future();
    }

    /** Gives up on the connection after a failed command (NOGROUP after Redis lost its data, a timeout): a fresh one re-creates the group. */
    private void abandon(RedisConnection conn, String why) {
        connection.abandon(conn, why);
    }

    /** Whether the loop on {@code conn} may go on: not shut down, and not replaced by a newer connection. */
    private boolean live(RedisConnection conn) {
        return !connection.isStopped() && connection.isCurrent(conn);
    }

    /** XREADGROUP's RESP2 reply, {@code [[stream, entries]]}, or null when BLOCK timed out. */
    private static List<Raw> streamEntries(Response reply) {
        if (reply == null || reply.size() == 0 || reply.get(0) == null) {
            return List.of();
        }
        return entries(reply.get(0).get(1));
    }

    /** {@code [[id, [field, value, ...]], ...]}; an entry deleted from the stream but still pending comes as {@code [id, nil]}. */
    private static List<Raw> entries(Response list) {
        if (list == null) {
            return List.of();
        }
        List<Raw> entries = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Response entry = list.get(i);
            if (entry == null || entry.size() == 0) {
                continue;
            }
            Response body = entry.size() > 1 ? entry.get(1) : null;
            Map<String, String> fields = null;
            if (body != null) {
                fields = new HashMap<>();
                for (int f = 0; f + 1 < body.size(); f += 2) {
                    Response value = body.get(f + 1);
                    fields.put(body.get(f).toString(), value == null ? null : value.toString());
                }
            }
            entries.add(new Raw(entry.get(0).toString(), fields));
        }
        return entries;
    }

    /** The consumer name when none is configured: the pod name on Kubernetes, the host name elsewhere. */
    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            // Not a SecureRandom in a static field: native-image would create (and seed) that at build time.
            return "history-" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        }
    }

    /** A stream entry as Redis returned it; {@code fields} is null for an entry that no longer exists. */
    private record Raw(String id, Map<String, String> fields) {
    }
}
