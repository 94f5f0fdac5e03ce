package dev.chat.gateway.room;

import dev.chat.common.redis.ChannelSubscriber;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.NodeName;
import dev.chat.gateway.publish.RoomUnavailable;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Response;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The gateway's Redis subscriptions: room and user channels are added and removed as rooms and users
 * come and go, on one connection (standalone Redis) or one per master (Redis Cluster, sharded Pub/Sub),
 * never one per channel. See {@link ChannelSubscriber} for how they are re-opened.
 */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class RoomSubscriber {

    private final Vertx vertx;
    private final ChannelSubscriber channels;
    private final RedisLayout layout;

    public RoomSubscriber(Vertx vertx, GatewayConfig config, NodeName node, RedisDeployment deployment, RedisLayout layout) {
        this.vertx = vertx;
        this.layout = layout;
        this.channels = new ChannelSubscriber(vertx, deployment, "chat-gateway-sub-" + node.name(), config.subscriber().minBackoff(),
                config.subscriber().maxBackoff(), config.subscriber().pingInterval());
    }

    void start(@Observes StartupEvent event) {
        channels.start(vertx.getOrCreateContext());
    }

    void stop(@Observes ShutdownEvent event) {
        channels.stop();
    }

    /** The names of channels (and the publish command) for this deployment. */
    public RedisLayout layout() {
        return layout;
    }

    /** Sends every (channel, payload) of channels starting with {@code prefix} to the handler, on this subscriber's context, in Redis order. */
    public void route(String prefix, BiConsumer<String, String> handler) {
        channels.route(prefix, handler);
    }

    /** Sets what runs after the connections were re-opened and every channel re-subscribed (messages may have been missed). */
    public void onReconnect(Runnable handler) {
        channels.onReconnect(handler);
    }

    /** Runs a task on the subscriber's context, in order with message dispatch. */
    public void runOnContext(Runnable task) {
        channels.runOnContext(task);
    }

    /** Whether {@link #call} can run now (standalone Redis, RESP3, connection up). */
    public boolean canCall() {
        return channels.canCall();
    }

    /** Runs a command whose reply ends with {@code tag} on the subscriber's connection: see {@link ChannelSubscriber#call}. */
    public Future<Response> call(List<String> command, String tag, Duration timeout) {
        return channels.call(command, tag, timeout);
    }

    /** Whether the subscriber connections are open and hold every channel they should. */
    public boolean isUp() {
        return channels.isUp();
    }

    /** Completes once Redis confirmed the subscription (waits across a reconnect). */
    public Future<Void> subscribe(String channel) {
        return channels.subscribe(channel);
    }

    /** A join still waiting for its subscription is answered `unavailable` (retry), not `internal`: nothing went wrong but timing. */
    public void unsubscribe(String channel) {
        channels.unsubscribe(channel, why -> new RoomUnavailable(why, null));
    }

    /** How many room and user channels this gateway holds (or is about to hold). */
    public int channelCount() {
        return channels.channelCount();
    }
}
