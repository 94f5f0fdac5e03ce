package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A SUBSCRIBE that Redis refuses (an ACL without the channel) fails that subscription alone: the other channels stay
 * held on the same connection, and a call waiting behind the refused SUBSCRIBE gets its own reply, not the refusal.
 * Against a Redis of its own (the test changes its ACL), as a user that may have only {@code allowed:*} channels.
 */
class SubscriptionRefusalTest {

    private Process redis;
    private Vertx vertx;
    private Redis admin;
    private ChannelSubscriber subscriber;
    private Context context;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final AtomicInteger reopened = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        vertx = Vertx.vertx();
        admin = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                await(admin.send(Request.cmd(Command.PING)));
                break;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("redis-server did not start on port " + port, e);
                }
                Thread.sleep(20);
            }
        }
        await(admin.send(Request.cmd(Command.ACL).arg("SETUSER").arg("limited").arg("on").arg(">secret").arg("~*").arg("&allowed:*")
                .arg("+@all")));
        RedisDeployment deployment = new RedisDeployment(false, List.of("redis://limited:secret@127.0.0.1:" + port), null, "NONE",
                Duration.ofSeconds(30));
        subscriber = new ChannelSubscriber(vertx, deployment, "refusal-test", Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(30));
        subscriber.route("allowed:", (channel, payload) -> received.add(channel + "=" + payload));
        subscriber.onReconnect(reopened::incrementAndGet);
        context = vertx.getOrCreateContext();
        subscriber.start(context);
        await(subscriber.subscribe("allowed:first"));
    }

    @AfterEach
    void stop() throws Exception {
        subscriber.stop();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void aRefusedSubscriptionFailsAloneAndTheOtherChannelsStayHeld() throws Exception {
        Future<Void> refused = subscriber.subscribe("forbidden:room");

        assertInstanceOf(ChannelSubscriber.SubscriptionRefused.class, failureOf(refused));
        assertTrue(subscriber.isUp());
        await(subscriber.subscribe("allowed:second"));
        publish("allowed:first", "still held");
        assertEquals("allowed:first=still held", received.poll(10, TimeUnit.SECONDS));
        assertEquals(0, reopened.get(), "the connection was not re-opened");
        assertEquals(2, subscriber.channelCount(), "the refused channel is not counted as held");
    }

    @Test
    void aCallWaitingBehindARefusedSubscriptionGetsItsOwnReply() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!subscriber.canCall()) {
            assertTrue(System.nanoTime() < deadline, "RESP3 calls on the subscriber's connection");
            Thread.sleep(10);
        }
        // In one task of the subscriber's context: the SUBSCRIBE goes on the connection right before the call.
        CompletableFuture<List<Future<?>>> asked = new CompletableFuture<>();
        context.runOnContext(v -> asked.complete(List.of(subscriber.subscribe("forbidden:room"),
                subscriber.call(List.of("EVAL", "return {'done', ARGV[1]}", "0", "tag-1"), "tag-1", Duration.ofSeconds(10)))));
        Future<?> refused = asked.get(10, TimeUnit.SECONDS).get(0);
        Future<?> call = asked.get(10, TimeUnit.SECONDS).get(1);

        Response reply = (Response) await(call);
        assertEquals("done", reply.get(0).toString());
        assertInstanceOf(ChannelSubscriber.SubscriptionRefused.class, failureOf(refused));
        assertTrue(subscriber.isUp());
        assertEquals(0, reopened.get(), "the connection was not re-opened");
        publish("allowed:first", "after");
        assertEquals("allowed:first=after", received.poll(10, TimeUnit.SECONDS));
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
