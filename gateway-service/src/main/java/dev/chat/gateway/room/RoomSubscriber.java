package dev.chat.gateway.room;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.NodeName;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The gateway's one Redis subscriber connection. Channels are added and removed on it as rooms come
 * and go (instead of one connection per subscription), and it is re-opened with every channel
 * re-subscribed when it drops. All its state lives on one Vert.x context, so SUBSCRIBE and
 * UNSUBSCRIBE for a channel reach Redis in the order they were asked for.
 */
@ApplicationScoped
public class RoomSubscriber {

    private final Vertx vertx;
    private final GatewayConfig config;
    private final String redisUrl;
    private final String clientName;

    // Confined to `context`.
    private final Set<String> channels = new HashSet<>();
    /** Subscriptions asked for and not yet confirmed by Redis. */
    private final java.util.Map<String, java.util.List<Promise<Void>>> unconfirmed = new java.util.HashMap<>();
    /** After a reconnect: channels re-subscribed and not yet confirmed. */
    private final Set<String> resubscribing = new HashSet<>();
    private Context context;
    private Redis client;
    private RedisConnection current;
    private RedisConnection connection;
    private static final int RESUBSCRIBE_BATCH = 500;
    private long backoffMs;
    private boolean stopped;
    private long connections;

    private volatile boolean up;
    private volatile int channelCount;
    private final java.util.Map<String, BiConsumer<String, String>> routes = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.List<Runnable> onReconnect = new java.util.concurrent.CopyOnWriteArrayList<>();

    public RoomSubscriber(Vertx vertx, GatewayConfig config, NodeName node, @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        this.vertx = vertx;
        this.clientName = "chat-gateway-sub-" + node.name().replaceAll("[^A-Za-z0-9_.-]", "_");
        this.config = config;
        this.redisUrl = redisHosts.split(",")[0].trim();
    }

    void start(@Observes StartupEvent event) {
        context = vertx.getOrCreateContext();
        // The URL carries the ACL user and TLS (rediss://); the password is quarkus.redis.password (a Secret), as for Quarkus's client.
        RedisOptions options = new RedisOptions().setConnectionString(redisUrl).setMaxPoolSize(1).setMaxPoolWaiting(1)
                .setPassword(ConfigProvider.getConfig().getOptionalValue("quarkus.redis.password", String.class).orElse(null));
        // Over rediss:// Vert.x refuses to connect until a host name check is chosen: the same as Quarkus's client (NONE unless set).
        String hostnameCheck = ConfigProvider.getConfig().getOptionalValue("quarkus.redis.tls.hostname-verification-algorithm", String.class)
                .orElse("NONE");
        options.getNetClientOptions().setHostnameVerificationAlgorithm("NONE".equalsIgnoreCase(hostnameCheck) ? "" : hostnameCheck);
        client = Redis.createClient(vertx, options);
        backoffMs = config.subscriber().minBackoff().toMillis();
        context.runOnContext(v -> connect());
    }

    void stop(@Observes ShutdownEvent event) {
        context.runOnContext(v -> {
            stopped = true;
            up = false;
            if (connection != null) {
                connection.close();
            }
            client.close();
        });
    }

    /** Sends every (channel, payload) of channels starting with {@code prefix} to the handler, on this subscriber's context, in Redis order. */
    public void route(String prefix, BiConsumer<String, String> handler) {
        routes.put(prefix, handler);
    }

    /** Sets what runs after the connection was re-opened and every channel re-subscribed (messages may have been missed). */
    public void onReconnect(Runnable handler) {
        onReconnect.add(handler);
    }

    /** Runs a task on the subscriber's context, in order with message dispatch. */
    public void runOnContext(Runnable task) {
        context.runOnContext(v -> task.run());
    }

    /** Whether the subscriber connection is open and holds every channel it should. */
    public boolean isUp() {
        return up;
    }

    /**
     * Completes once Redis confirmed the subscription: the {@code subscribe} reply pushed on the
     * connection, not the write of the command (the Vert.x client completes a SUBSCRIBE's future as
     * soon as it is written). Waits across a reconnect if the connection is down.
     */
    public Future<Void> subscribe(String channel) {
        Promise<Void> done = Promise.promise();
        context.runOnContext(v -> {
            channels.add(channel);
            channelCount = channels.size();
            unconfirmed.computeIfAbsent(channel, c -> new java.util.ArrayList<>()).add(done);
            if (connection != null) {
                connection.send(Request.cmd(Command.SUBSCRIBE).arg(channel))
                        .onFailure(e -> Log.debugf("SUBSCRIBE %s failed: %s", channel, e.getMessage()));
            }
        });
        return done.future();
    }

    public void unsubscribe(String channel) {
        context.runOnContext(v -> {
            channels.remove(channel);
            channelCount = channels.size();
            if (resubscribing.remove(channel) && resubscribing.isEmpty() && connection != null && !up) {
                resubscribed();
            }
            java.util.List<Promise<Void>> waiting = unconfirmed.remove(channel);
            if (waiting != null) {
                // The join that waited is answered `unavailable` (retry), not `internal`: nothing went wrong but timing.
                waiting.forEach(p -> p.tryFail(new dev.chat.gateway.publish.RoomUnavailable("left before Redis confirmed the subscription", null)));
            }
            if (connection != null) {
                connection.send(Request.cmd(Command.UNSUBSCRIBE).arg(channel))
                        .onFailure(e -> Log.debugf("UNSUBSCRIBE %s failed: %s", channel, e.getMessage()));
            }
        });
    }

    /** How many room channels this gateway holds (or is about to hold) on its subscriber connection. */
    public int channelCount() {
        return channelCount;
    }

    private void connect() {
        if (stopped) {
            return;
        }
        client.connect().onComplete(ar -> {
            if (ar.failed()) {
                Log.warnf("Redis subscriber connection failed (%s); retrying in %d ms", ar.cause().getMessage(), backoffMs);
                retryLater();
                return;
            }
            RedisConnection conn = ar.result();
            current = conn;
            conn.handler(this::dispatch);
            conn.exceptionHandler(e -> dropped(conn, e.getMessage()));
            conn.endHandler(v -> dropped(conn, "closed"));
            resubscribe(conn);
        });
    }

    private void resubscribe(RedisConnection conn) {
        // Named, so operators (and tests) can find this gateway's subscriptions in CLIENT LIST.
        conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(clientName)).onComplete(ar -> {
            if (ar.failed()) {
                dropped(conn, ar.cause().getMessage());
                conn.close();
                return;
            }
            if (conn != current) {
                return;
            }
            connection = conn;
            backoffMs = config.subscriber().minBackoff().toMillis();
            resubscribing.clear();
            resubscribing.addAll(channels);
            // Many channels per SUBSCRIBE: one round trip per batch instead of one per room.
            Request batch = null;
            int inBatch = 0;
            for (String channel : channels) {
                if (batch == null) {
                    batch = Request.cmd(Command.SUBSCRIBE);
                }
                batch.arg(channel);
                if (++inBatch == RESUBSCRIBE_BATCH) {
                    send(conn, batch);
                    batch = null;
                    inBatch = 0;
                }
            }
            if (batch != null) {
                send(conn, batch);
            }
            if (resubscribing.isEmpty()) {
                resubscribed();
            }
        });
    }

    private void send(RedisConnection conn, Request subscribe) {
        conn.send(subscribe).onFailure(e -> Log.debugf("SUBSCRIBE failed: %s", e.getMessage()));
    }

    /** Every channel is confirmed on the (re-)opened connection. */
    private void resubscribed() {
        up = true;
        if (connections++ > 0) {
            Log.infof("Redis subscriber connection re-opened with %d channels", channels.size());
            onReconnect.forEach(Runnable::run);
        }
    }

    private void confirmed(String channel) {
        java.util.List<Promise<Void>> waiting = unconfirmed.remove(channel);
        if (waiting != null) {
            waiting.forEach(Promise::tryComplete);
        }
        if (resubscribing.remove(channel) && resubscribing.isEmpty() && !up) {
            resubscribed();
        }
    }

    private void dropped(RedisConnection conn, String why) {
        if (conn != current) {
            return;
        }
        current = null;
        connection = null;
        resubscribing.clear();
        up = false;
        if (!stopped) {
            Log.warnf("Redis subscriber connection lost (%s); re-opening", why);
            retryLater();
        }
    }

    private void retryLater() {
        long delay = backoffMs;
        backoffMs = Math.min(backoffMs * 2, config.subscriber().maxBackoff().toMillis());
        vertx.setTimer(delay, t -> context.runOnContext(v -> connect()));
    }

    private void dispatch(Response push) {
        // RESP2 delivers ["message", channel, payload]; RESP3 delivers the same as a push.
        if (push.type() != ResponseType.MULTI && push.type() != ResponseType.PUSH) {
            return;
        }
        if (push.size() == 3 && "subscribe".equals(push.get(0).toString())) {
            confirmed(push.get(1).toString());
        } else if (push.size() == 3 && "message".equals(push.get(0).toString())) {
            String channel = push.get(1).toString();
            for (var route : routes.entrySet()) {
                if (channel.startsWith(route.getKey())) {
                    route.getValue().accept(channel, push.get(2).toString());
                    return;
                }
            }
        }
    }
}
