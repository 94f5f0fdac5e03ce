package dev.chat.history.ingest;

import dev.chat.history.HistoryConfig;
import dev.chat.history.RoomKeys;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.security.SecureRandom;
import java.util.function.BiConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * History's one Redis subscriber connection: {@code PSUBSCRIBE chat:room:*} follows every room at
 * once, so history never needs to know which rooms exist. It is re-opened with backoff when it drops;
 * all its state lives on the ingest context given to {@link #start}.
 */
@ApplicationScoped
public class RoomTrafficSubscriber {

    private final Vertx vertx;
    private final HistoryConfig config;
    private final Event<Subscribed> subscribed;
    private final String redisUrl;
    /** Names this instance's connection in CLIENT LIST, so operators (and tests) can tell it apart. */
    private final String clientName = "chat-history-" + Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36);

    // Confined to `context`.
    private Context context;
    private Redis client;
    private RedisConnection current;
    private BiConsumer<String, String> onMessage;
    private long backoffMs;
    private boolean stopped;
    private long connections;

    private volatile boolean up;

    public RoomTrafficSubscriber(Vertx vertx, HistoryConfig config, Event<Subscribed> subscribed,
            @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        this.vertx = vertx;
        this.config = config;
        this.subscribed = subscribed;
        this.redisUrl = redisHosts.split(",")[0].trim();
    }

    /** Opens the connection; {@code onMessage} receives every (channel, payload) on {@code context}, in Redis order. */
    public void start(Context context, BiConsumer<String, String> onMessage) {
        this.context = context;
        this.onMessage = onMessage;
        client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl).setPoolName("history-subscriber")
                .setMaxPoolSize(1).setMaxPoolWaiting(1));
        backoffMs = config.subscriber().minBackoff().toMillis();
        context.runOnContext(v -> connect());
    }

    void stop(@Observes ShutdownEvent event) {
        if (context == null) {
            return;
        }
        context.runOnContext(v -> {
            stopped = true;
            up = false;
            if (current != null) {
                current.close();
            }
            client.close();
        });
    }

    public String clientName() {
        return clientName;
    }

    /** Whether the connection is open and subscribed to every room channel. */
    public boolean isUp() {
        return up;
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
            subscribe(conn);
        });
    }

    private void subscribe(RedisConnection conn) {
        conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(clientName))
                .otherwiseEmpty()
                .compose(named -> conn.send(Request.cmd(Command.PSUBSCRIBE).arg(RoomKeys.CHANNEL_PATTERN)))
                .onComplete(sub -> {
                    if (sub.failed()) {
                        dropped(conn, sub.cause().getMessage());
                        conn.close();
                        return;
                    }
                    if (conn != current) {
                        return;
                    }
                    backoffMs = config.subscriber().minBackoff().toMillis();
                    up = true;
                    boolean reconnect = connections++ > 0;
                    if (reconnect) {
                        Log.info("Redis subscriber connection re-opened");
                    }
                    subscribed.fire(new Subscribed(reconnect));
                });
    }

    private void dropped(RedisConnection conn, String why) {
        if (conn != current) {
            return;
        }
        current = null;
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
        // RESP2 delivers ["pmessage", pattern, channel, payload]; RESP3 delivers the same as a push.
        if (push.type() != ResponseType.MULTI && push.type() != ResponseType.PUSH) {
            return;
        }
        if (push.size() == 4 && "pmessage".equals(push.get(0).toString())) {
            onMessage.accept(push.get(2).toString(), push.get(3).toString());
        }
    }
}
