package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.chat.common.testing.ScratchRedis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A SUBSCRIBE that Redis refuses (an ACL without the channel) takes the subscriber down, as readiness then says, until
 * Redis allows the channel: a channel left unheld behind a connection that counts as up would lose its messages without a
 * word. And the refusal is not taken for the reply of a call waiting behind it on the same connection. Against a Redis
 * of its own (the test changes its ACL), as a user that may have only {@code allowed:*} channels.
 */
class SubscriptionRefusalTest {

    private ScratchRedis redis;
    private Vertx vertx;
    private Redis admin;
    private ChannelSubscriber subscriber;
    private Context context;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        redis = new ScratchRedis().start();
        vertx = Vertx.vertx();
        admin = Redis.createClient(vertx, redis.url());
        await(admin.send(Request.cmd(Command.ACL).arg("SETUSER").arg("limited").arg("on").arg(">secret").arg("~*").arg("&allowed:*")
                .arg("+@all")));
        RedisDeployment deployment = new RedisDeployment(false, List.of("redis://limited:secret@127.0.0.1:" + redis.port()), null, "NONE",
                Duration.ofSeconds(30));
        subscriber = new ChannelSubscriber(vertx, deployment, "refusal-test", Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30));
        subscriber.route("", (channel, payload) -> received.add(channel + "=" + payload));
        context = vertx.getOrCreateContext();
        subscriber.start(context);
        await(subscriber.subscribe("allowed:first"));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (subscriber != null) {
                subscriber.stop();
            }
            if (vertx != null) {
                vertx.close().toCompletionStage().toCompletableFuture().join();
            }
        } finally {
            if (redis != null) {
                redis.kill();
            }
        }
    }

    @Test
    void aRefusedSubscriptionTakesTheSubscriberDownUntilRedisAllowsTheChannel() throws Exception {
        Future<Void> refused = subscriber.subscribe("forbidden:room");

        Awaitility.await("the subscriber is down while Redis refuses a channel").atMost(Duration.ofSeconds(10))
                .until(() -> !subscriber.isUp());
        assertFalse(refused.isComplete(), "not held, so not confirmed");
        await(admin.send(Request.cmd(Command.ACL).arg("SETUSER").arg("limited").arg("&forbidden:*")));
        await(refused);
        Awaitility.await("up again, every channel held").atMost(Duration.ofSeconds(10)).until(subscriber::isUp);
        publish("forbidden:room", "now allowed");
        publish("allowed:first", "still held");
        assertEquals(Set.of("forbidden:room=now allowed", "allowed:first=still held"),
                Set.of(received.poll(10, TimeUnit.SECONDS), received.poll(10, TimeUnit.SECONDS)));
    }

    @Test
    void aRefusalIsNotTakenForTheReplyOfTheCallWaitingBehindIt() throws Exception {
        Awaitility.await("RESP3 calls on the subscriber's connection").atMost(Duration.ofSeconds(10))
                .until(subscriber::canCall);
        // In one task of the subscriber's context: the SUBSCRIBE goes on the connection right before the call.
        CompletableFuture<List<Future<?>>> asked = new CompletableFuture<>();
        context.runOnContext(v -> asked.complete(List.of(subscriber.subscribe("forbidden:room"),
                subscriber.call(List.of("EVAL", "return {'done', ARGV[1]}", "0", "tag-1"), "tag-1", Duration.ofSeconds(10)))));
        Future<?> refused = asked.get(10, TimeUnit.SECONDS).get(0);
        Future<?> call = asked.get(10, TimeUnit.SECONDS).get(1);

        // The connection is re-opened: the call may or may not have run, as when a connection drops under it.
        assertInstanceOf(ChannelSubscriber.CallLost.class, failureOf(call));
        Awaitility.await("the subscriber is down while Redis refuses a channel").atMost(Duration.ofSeconds(10))
                .until(() -> !subscriber.isUp());
        assertFalse(refused.isComplete());
    }

    private void publish(String channel, String payload) throws Exception {
        await(admin.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload)));
    }

    private static Throwable failureOf(Future<?> future) throws Exception {
        try {
            await(future);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
