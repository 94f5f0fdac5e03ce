package dev.chat.history;

import dev.chat.common.redis.ClusterSlots;
import dev.chat.common.redis.KeySlots;
import dev.chat.common.redis.RedisDeployment;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A Redis connection of one's own (its own client, a pool of one), for commands that hold a connection (PSUBSCRIBE, a
 * blocking XREADGROUP); it is re-opened with backoff whenever it fails or drops. Confined to the context given to
 * {@link #open}.
 */
public final class DedicatedRedisConnection {

    private final Vertx vertx;
    private final RedisOptions options;
    /** Between attempts to open; confined to `context`. */
    private final Backoff backoff;
    /** Names the connection in log lines. */
    private final String label;
    /** Names this instance's connection in CLIENT LIST, so operators (and tests) can tell it apart. */
    private final String clientName;
    /** Set on a Redis Cluster: where to look up the master of `clusterKey`. */
    private RedisDeployment cluster;
    private String clusterKey;

    // Confined to `context`.
    private Context context;
    private Redis client;
    private RedisConnection current;
    private Consumer<RedisConnection> onOpen;
    private boolean stopped;

    private volatile boolean ready;

    public DedicatedRedisConnection(Vertx vertx, RedisOptions options, Backoff backoff, String label, String clientNamePrefix) {
        this.vertx = vertx;
        this.options = options;
        this.backoff = backoff;
        this.label = label;
        this.clientName = clientNamePrefix + randomSuffix();
    }

    /** Options for a pool of one on the first of the {@code quarkus.redis.hosts}, with the password and TLS host name check of Quarkus's client. */
    public static RedisOptions options(RedisDeployment deployment, String poolName) {
        return deployment.nodeOptions(deployment.hosts().get(0), poolName).setMaxPoolSize(1).setMaxPoolWaiting(1);
    }

    /**
     * On a Redis Cluster: the connection goes to the master that serves {@code key}, looked up again at every
     * re-open, so a slot that moved (a -MOVED reply fails the command and the connection is re-opened) is followed.
     */
    public DedicatedRedisConnection onMasterOf(RedisDeployment deployment, String key) {
        if (deployment.cluster()) {
            this.cluster = deployment;
            this.clusterKey = key;
        }
        return this;
    }

    /** A random suffix that tells this instance's connections apart in CLIENT LIST. */
    public static String randomSuffix() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }

    /**
     * Opens the connection on {@code context}; {@code onOpen} receives each new connection there, already current, to set
     * it up and then call {@link #ready} (or {@link #abandon} it).
     */
    public void open(Context context, Consumer<RedisConnection> onOpen) {
        this.context = context;
        this.onOpen = onOpen;
        client = Redis.createClient(vertx, options);
        context.runOnContext(v -> connect());
    }

    /** Closes the connection for good (at shutdown). */
    public void close() {
        if (context == null) {
            return;
        }
        context.runOnContext(v -> {
            stopped = true;
            ready = false;
            if (current != null) {
                current.close();
            }
            client.close();
        });
    }

    public String clientName() {
        return clientName;
    }

    /** Whether the current connection is open and set up. */
    public boolean isReady() {
        return ready;
    }

    public boolean isStopped() {
        return stopped;
    }

    /** Whether {@code conn} is still the connection in use; a dropped one is replaced, and its late replies must be ignored. */
    public boolean isCurrent(RedisConnection conn) {
        return conn == current;
    }

    /** The current connection is set up: ready, and the next failure waits the shortest delay again. */
    public void ready() {
        backoff.reset();
        ready = true;
    }

    /** Gives up on {@code conn} after a failed command: it is closed and, if it was current, re-opened. */
    public void abandon(RedisConnection conn, String why) {
        dropped(conn, why);
        conn.close();
    }

    private void connect() {
        if (stopped) {
            return;
        }
        opened().onComplete(ar -> {
            if (ar.failed()) {
                long delay = backoff.next();
                Log.warnf("%s failed (%s); retrying in %d ms", label, ar.cause().getMessage(), delay);
                connectLater(delay);
                return;
            }
            RedisConnection conn = ar.result();
            current = conn;
            conn.exceptionHandler(e -> dropped(conn, e.getMessage()));
            conn.endHandler(v -> dropped(conn, "closed"));
            onOpen.accept(conn);
        });
    }

    private io.vertx.core.Future<RedisConnection> opened() {
        if (cluster == null) {
            return client.connect();
        }
        return ClusterSlots.read(vertx, cluster, cluster.hosts()).compose(slots -> {
            client.close();
            client = Redis.createClient(vertx, new RedisOptions(options).setConnectionString(slots.owner(KeySlots.slot(clusterKey))));
            return client.connect();
        });
    }

    private void dropped(RedisConnection conn, String why) {
        if (conn != current) {
            return;
        }
        current = null;
        ready = false;
        if (!stopped) {
            Log.warnf("%s lost (%s); re-opening", label, why);
            connectLater(backoff.next());
        }
    }

    private void connectLater(long delay) {
        vertx.setTimer(delay, t -> context.runOnContext(v -> connect()));
    }
}
