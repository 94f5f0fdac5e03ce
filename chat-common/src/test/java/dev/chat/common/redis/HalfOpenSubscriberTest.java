package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.FreezingProxy;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subscriber's connection that a middlebox left half-open (both ends open, nothing passes) is found by its pings and
 * replaced, so its channels flow again; a connection that is only quiet is kept. Against the shared Redis, through a
 * proxy that can freeze a connection.
 */
class HalfOpenSubscriberTest {

    private static final Duration PING_INTERVAL = Duration.ofMillis(200);

    private Vertx vertx;
    private Redis publisher;
    private FreezingProxy proxy;
    private ChannelSubscriber subscriber;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final AtomicInteger reopened = new AtomicInteger();
    private final String clientName = "half-open-test-" + UUID.randomUUID();
    private final String channel = "half-open-test:" + UUID.randomUUID();

    @BeforeEach
    void subscribeThroughTheProxy() throws Exception {
        vertx = Vertx.vertx();
        publisher = Redis.createClient(vertx, "redis://127.0.0.1:6379");
        proxy = FreezingProxy.to(6379);
        RedisDeployment deployment = new RedisDeployment(false, List.of("redis://127.0.0.1:" + proxy.port()), null, "NONE",
                Duration.ofSeconds(30));
        subscriber = new ChannelSubscriber(vertx, deployment, clientName, Duration.ofMillis(50), Duration.ofMillis(200), PING_INTERVAL);
        subscriber.route("half-open-test:", (ch, payload) -> received.add(payload));
        subscriber.onReconnect(reopened::incrementAndGet);
        subscriber.start(vertx.getOrCreateContext());
        subscriber.subscribe(channel).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        publish("before");
        assertEquals("before", received.poll(10, TimeUnit.SECONDS));
    }

    @AfterEach
    void close() {
        subscriber.stop();
        proxy.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aHalfOpenConnectionIsReplacedAndItsChannelsFlowAgain() throws Exception {
        assertEquals(1, proxy.freezeWhere(clientName), "the subscriber's connection is frozen");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reopened.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, reopened.get(), "the subscriber re-opened on a new connection");
        assertTrue(subscriber.isUp());
        assertEquals(1, proxy.passingConnectionsWhere(clientName), "one live subscriber connection");

        publish("after");
        assertEquals("after", received.poll(10, TimeUnit.SECONDS), "a message published after the freeze arrives");
    }

    @Test
    void aQuietConnectionThatAnswersItsPingsIsKept() throws Exception {
        // Nothing is published: only pings and their answers cross the connection. Three of them mean three quiet intervals passed.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pingsSentBy(clientName) < 3 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(pingsSentBy(clientName) >= 3, "a quiet connection is pinged");
        assertEquals(0, reopened.get(), "a connection that answers its pings is kept");
        assertEquals(1, proxy.passingConnectionsWhere(clientName));

        publish("still here");
        assertEquals("still here", received.poll(10, TimeUnit.SECONDS));
    }

    private int pingsSentBy(String text) {
        return proxy.countInClientBytesWhere(text, HalfOpenCheck.TOKEN);
    }

    private void publish(String payload) throws Exception {
        publisher.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload)).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }
}
