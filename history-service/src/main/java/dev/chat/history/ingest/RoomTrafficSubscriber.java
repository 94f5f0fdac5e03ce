package dev.chat.history.ingest;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.Backoff;
import dev.chat.history.DedicatedRedisConnection;
import dev.chat.history.HistoryConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.util.function.BiConsumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * History's one Redis subscriber connection: {@code PSUBSCRIBE chat:room:*} follows every room at
 * once, so history never needs to know which rooms exist. It is re-opened with backoff when it drops;
 * all its state lives on the ingest context given to {@link #start}.
 */
@ApplicationScoped
public class RoomTrafficSubscriber {

    private final Event<Subscribed> subscribed;
    private final DedicatedRedisConnection connection;

    // Confined to the context given to `start`.
    private BiConsumer<String, String> onMessage;
    private long connections;

    public RoomTrafficSubscriber(Vertx vertx, HistoryConfig config, Event<Subscribed> subscribed, MeterRegistry registry,
            @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        this.subscribed = subscribed;
        Gauge.builder("chat.history.subscriber.up", this, s -> s.isUp() ? 1 : 0)
                .description("1 while the Redis subscriber connection follows every room channel").register(registry);
        this.connection = new DedicatedRedisConnection(vertx, DedicatedRedisConnection.options(redisHosts, "history-subscriber"),
                new Backoff(config.subscriber().minBackoff(), config.subscriber().maxBackoff()), "Redis subscriber connection",
                "chat-history-");
    }

    /** Opens the connection; {@code onMessage} receives every (channel, payload) on {@code context}, in Redis order. */
    public void start(Context context, BiConsumer<String, String> onMessage) {
        this.onMessage = onMessage;
        connection.open(context, this::subscribe);
    }

    void stop(@Observes ShutdownEvent event) {
        connection.close();
    }

    public String clientName() {
        return connection.clientName();
    }

    /** Whether the connection is open and subscribed to every room channel. */
    public boolean isUp() {
        return connection.isReady();
    }

    private void subscribe(RedisConnection conn) {
        conn.handler(this::dispatch);
        conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(connection.clientName()))
                .otherwiseEmpty()
                .compose(named -> conn.send(Request.cmd(Command.PSUBSCRIBE).arg(RoomKeys.CHANNEL_PATTERN)))
                .onComplete(sub -> {
                    if (sub.failed()) {
                        connection.abandon(conn, sub.cause().getMessage());
                        return;
                    }
                    if (!connection.isCurrent(conn)) {
                        return;
                    }
                    connection.ready();
                    boolean reconnect = connections++ > 0;
                    if (reconnect) {
                        Log.info("Redis subscriber connection re-opened");
                    }
                    subscribed.fire(new Subscribed(reconnect));
                });
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
