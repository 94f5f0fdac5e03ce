package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.FreezingProxy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions asked for together (a reconnect storm's user channels) reach Redis as one SUBSCRIBE, and subscribing
 * and unsubscribing within one such batch keeps the order they were asked in; a channel counts as held only once Redis
 * confirmed the SUBSCRIBE that holds it. Against the shared Redis, through a proxy that shows what the subscriber's
 * connection sent and can hold it back.
 */
class SubscriptionCoalescingTest {

    private static final int STORM = 60;

    private Vertx vertx;
    private Context context;
    private Redis publisher;
    private FreezingProxy proxy;
    private ChannelSubscriber subscriber;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final String clientName = "coalescing-test-" + UUID.randomUUID();
    private final String prefix = "co-" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        publisher = Redis.createClient(vertx, "redis://127.0.0.1:6379");
        proxy = FreezingProxy.to(6379);
        RedisDeployment deployment = new RedisDeployment(false, List.of("redis://127.0.0.1:" + proxy.port()), null, "NONE",
                Duration.ofSeconds(30));
        subscriber = new ChannelSubscriber(vertx, deployment, clientName, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30));
        subscriber.route(prefix, (channel, payload) -> received.add(channel + "=" + payload));
        context = vertx.getOrCreateContext();
        subscriber.start(context);
        await(subscriber.subscribe(prefix + "first"));
    }

    @AfterEach
    void close() throws Exception {
        subscriber.stop();
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void subscriptionsAskedForTogetherGoToRedisAsOneCommand() throws Exception {
        List<Future<Void>> confirmed = onTheSubscribersContext(() -> {
            List<Future<Void>> all = new ArrayList<>();
            for (int i = 0; i < STORM; i++) {
                all.add(subscriber.subscribe(prefix + i));
            }
            return all;
        });
        for (Future<Void> each : confirmed) {
            await(each);
        }

        assertEquals(2, subscribeCommandsSent(), "one SUBSCRIBE at the start, one for the storm's " + STORM + " channels");
        for (int i : new int[] {0, STORM / 2, STORM - 1}) {
            publish(prefix + i, "hello");
            assertEquals(prefix + i + "=hello", received.poll(10, TimeUnit.SECONDS), "channel " + i + " is held");
        }
    }

    @Test
    void subscribingAndUnsubscribingTogetherKeepTheirOrder() throws Exception {
        String kept = prefix + "kept";
        String left = prefix + "left";
        Future<Void> keptConfirmed = onTheSubscribersContext(() -> {
            subscriber.subscribe(kept);
            subscriber.unsubscribe(kept, RuntimeException::new);
            Future<Void> again = subscriber.subscribe(kept);
            subscriber.subscribe(left);
            subscriber.unsubscribe(left, RuntimeException::new);
            return again;
        });
        await(keptConfirmed);
        // Written after the batch above on the same connection: once confirmed, Redis has run everything before it.
        await(subscriber.subscribe(prefix + "after"));

        assertEquals(1, subscribers(kept), "subscribed, unsubscribed, subscribed again: held");
        assertEquals(0, subscribers(left), "subscribed, then unsubscribed: not held");
        publish(kept, "still here");
        assertEquals(kept + "=still here", received.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void aChannelLeftAndAskedForAgainCountsAsHeldOnlyOnceRedisRanTheSecondSubscribe() throws Exception {
        String channel = prefix + "again";
        String marker = prefix + "marker";
        // Redis runs the first SUBSCRIBE; its confirmation waits at the proxy.
        proxy.holdRepliesWhere(clientName);
        List<Future<Void>> first = onTheSubscribersContext(() -> List.of(subscriber.subscribe(channel), subscriber.subscribe(marker)));
        Awaitility.await("Redis ran the first SUBSCRIBE").atMost(Duration.ofSeconds(10))
                .until(() -> subscribers(channel) == 1 && subscribers(marker) == 1);

        // Left and asked for again; Redis sees neither yet.
        proxy.holdRequestsWhere(clientName);
        Future<Void> again = onTheSubscribersContext(() -> {
            subscriber.unsubscribe(channel, RuntimeException::new);
            return subscriber.subscribe(channel);
        });
        proxy.releaseReplies();
        // The marker's confirmation comes after the first SUBSCRIBE's on the connection: that one has been handled.
        await(first.get(1));

        assertTrue(first.get(0).failed(), "the first subscription was left before Redis confirmed it");
        assertFalse(again.isComplete(), "the first SUBSCRIBE's confirmation does not confirm the one written after leaving");

        proxy.releaseRequests();
        await(again);
        assertEquals(1, subscribers(channel));
        publish(channel, "back");
        assertEquals(channel + "=back", received.poll(10, TimeUnit.SECONDS));
    }

    /** Runs {@code calls} inside one task of the subscriber's context: what they ask for queues behind it, together. */
    private <T> T onTheSubscribersContext(java.util.function.Supplier<T> calls) throws Exception {
        java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
        context.runOnContext(v -> result.complete(calls.get()));
        return result.get(10, TimeUnit.SECONDS);
    }

    private int subscribeCommandsSent() {
        return proxy.countInClientBytesWhere(clientName, "\r\nsubscribe\r\n") + proxy.countInClientBytesWhere(clientName, "\r\nSUBSCRIBE\r\n");
    }

    private long subscribers(String channel) {
        try {
            Response reply = await(publisher.send(Request.cmd(Command.PUBSUB).arg("NUMSUB").arg(channel)));
            return reply.get(1).toLong();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void publish(String channel, String payload) throws Exception {
        await(publisher.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload)));
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
