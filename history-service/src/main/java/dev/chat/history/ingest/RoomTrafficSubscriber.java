package dev.chat.history.ingest;

import dev.chat.common.redis.ChannelSubscriber;
import dev.chat.common.redis.HalfOpenCheck;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RedisLayout;
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
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * How history follows every room without knowing which rooms exist. On a standalone Redis: one
 * connection with {@code PSUBSCRIBE chat:room:*}. On a Redis Cluster, where sharded Pub/Sub has no
 * patterns and a plain PUBLISH would reach every node: the publish script also SPUBLISHes each message
 * on its slot's channel, and history holds all 16,384 slot channels, one connection per master, each
 * channel on the master that owns its slot (see {@link ChannelSubscriber}). Either way the connection
 * is re-opened with backoff, and each (re)subscription fires {@link Subscribed} so what was missed is
 * read back from the rooms' logs.
 */
@ApplicationScoped
public class RoomTrafficSubscriber {

    private final Event<Subscribed> subscribed;
    /** Standalone: the pattern subscription. */
    private final DedicatedRedisConnection connection;
    /** Redis Cluster: the slot channels. */
    private final ChannelSubscriber slotChannels;
    private final Vertx vertx;
    private final Duration pingInterval;

    // Confined to the context given to `start`.
    private BiConsumer<String, String> onMessage;
    private long connections;
    /** Of the current standalone connection. */
    private HalfOpenCheck halfOpen;

    public RoomTrafficSubscriber(Vertx vertx, HistoryConfig config, Event<Subscribed> subscribed, MeterRegistry registry,
            RedisDeployment deployment) {
        this.subscribed = subscribed;
        this.vertx = vertx;
        this.pingInterval = config.subscriber().pingInterval();
        Gauge.builder("chat.history.subscriber.up", this, s -> s.isUp() ? 1 : 0)
                .description("1 while the Redis subscriber connection follows every room channel").register(registry);
        String clientNamePrefix = "chat-history-";
        if (deployment.cluster()) {
            this.connection = null;
            this.slotChannels = new ChannelSubscriber(vertx, deployment, clientNamePrefix + DedicatedRedisConnection.randomSuffix(),
                    config.subscriber().minBackoff(), config.subscriber().maxBackoff(), config.subscriber().pingInterval());
        } else {
            this.slotChannels = null;
            this.connection = new DedicatedRedisConnection(vertx, DedicatedRedisConnection.options(deployment, "history-subscriber"),
                    new Backoff(config.subscriber().minBackoff(), config.subscriber().maxBackoff()), "Redis subscriber connection",
                    clientNamePrefix);
        }
    }

    /**
     * Opens the connection; {@code onMessage} receives every (room, payload) on {@code context}, in Redis order (room
     * null when the payload came on a slot channel and names its room itself).
     */
    public void start(Context context, BiConsumer<String, String> onMessage) {
        this.onMessage = onMessage;
        if (slotChannels != null) {
            slotChannels.route(RedisLayout.SLOT_CHANNEL_PREFIX,
                    (channel, payload) -> onMessage.accept(null, payload));
            slotChannels.onSubscribed(reconnect -> subscribed.fire(new Subscribed(reconnect)));
            slotChannels.start(context);
            RedisLayout.slotChannels().forEach(slotChannels::subscribe);
        } else {
            connection.open(context, this::subscribe);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (slotChannels != null) {
            slotChannels.stop();
        } else {
            connection.close();
        }
    }

    public String clientName() {
        return slotChannels != null ? slotChannels.clientName() : connection.clientName();
    }

    /** Whether the connection is open and subscribed to every room channel. */
    public boolean isUp() {
        return slotChannels != null ? slotChannels.isUp() : connection.isReady();
    }

    private void subscribe(RedisConnection conn) {
        if (halfOpen != null) {
            halfOpen.stop();
        }
        HalfOpenCheck check = HalfOpenCheck.start(vertx, pingInterval, () -> HalfOpenCheck.ping(conn),
                () -> connection.abandon(conn, "nothing from Redis for two ping intervals of " + pingInterval.toMillis() + " ms"));
        halfOpen = check;
        conn.handler(push -> {
            check.heard();
            dispatch(push);
        });
        conn.send(Request.cmd(Command.CLIENT).arg("SETNAME").arg(connection.clientName()))
                .otherwiseEmpty()
                .compose(named -> conn.send(Request.cmd(Command.PSUBSCRIBE).arg(RoomKeys.CHANNEL_PATTERN)))
                .onComplete(sub -> {
                    if (sub.failed()) {
                        check.stop();
                        connection.abandon(conn, sub.cause().getMessage());
                        return;
                    }
                    if (!connection.isCurrent(conn)) {
                        check.stop();
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
            String room = RoomKeys.roomOfChannel(push.get(2).toString());
            if (room != null) {
                onMessage.accept(room, push.get(3).toString());
            }
        }
    }
}
