package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.FreezingProxy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A subscriber's connection that a middlebox left half-open (both ends open, nothing passes) is found by its pings and
 * replaced, so its channels flow again; a connection that is only quiet is kept, and a ping's answer is never taken
 * for the reply of a call waiting on the same connection. Against the shared Redis, through a proxy that can freeze a
 * connection or hold its replies back.
 */
class HalfOpenSubscriberTest {

    private Vertx vertx;
    private Redis publisher;
    private FreezingProxy proxy;
    private ChannelSubscriber subscriber;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final AtomicInteger reopened = new AtomicInteger();
    private final String clientName = "half-open-test-" + UUID.randomUUID();
    private final String channel = "half-open-test:" + UUID.randomUUID();
    private final String aclUser = "half-open-test-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void startProxy() {
        vertx = Vertx.vertx();
        publisher = Redis.createClient(vertx, "redis://127.0.0.1:6379");
        proxy = FreezingProxy.to(6379);
    }

    @AfterEach
    void close() throws Exception {
        if (subscriber != null) {
            subscriber.stop();
        }
        proxy.close();
        try {
            send(Request.cmd(Command.ACL).arg("DELUSER").arg(aclUser));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    @Test
    void aHalfOpenConnectionIsReplacedAndItsChannelsFlowAgain() throws Exception {
        subscribe(Duration.ofMillis(500), "");
        assertEquals(1, proxy.freezeWhere(clientName), "the subscriber's connection is frozen");

        Awaitility.await("the subscriber re-opened on a new connection").atMost(Duration.ofSeconds(15))
                .until(() -> reopened.get() > 0);
        assertEquals(1, reopened.get());
        assertTrue(subscriber.isUp());
        assertEquals(1, proxy.passingConnectionsWhere(clientName), "one live subscriber connection");

        publish("after");
        assertEquals("after", received.poll(10, TimeUnit.SECONDS), "a message published after the freeze arrives");
    }

    @Test
    void aQuietConnectionThatAnswersItsPingsIsKept() throws Exception {
        subscribe(Duration.ofMillis(500), "");
        // Nothing is published: only pings and their answers cross the connection. Three of them mean three quiet intervals passed.
        Awaitility.await("a quiet connection is pinged").atMost(Duration.ofSeconds(15)).until(() -> pingsSent() >= 3);
        assertEquals(0, reopened.get(), "a connection that answers its pings is kept");
        assertEquals(1, proxy.passingConnectionsWhere(clientName));

        publish("still here");
        assertEquals("still here", received.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void aPingsAnswerArrivingAheadOfACallsReplyIsNotTakenForIt() throws Exception {
        subscribe(Duration.ofSeconds(3), "");
        assertCallAnsweredBehindAPing("pong-first");
    }

    @Test
    void anErrorAnsweringAPingIsNotTakenForAWaitingCallsReply() throws Exception {
        // A user who may not PING: each ping is answered -NOPERM, as it would be -BUSY while a long script runs.
        send(Request.cmd(Command.ACL).arg("SETUSER").arg(aclUser).arg("on").arg(">secret").arg("~*").arg("&*").arg("+@all").arg("-ping"));
        subscribe(Duration.ofSeconds(3), aclUser + ":secret@");
        assertCallAnsweredBehindAPing("error-first");
    }

    /** Holds the replies back from just before a ping until a call was sent after it: both answers then arrive together. */
    private void assertCallAnsweredBehindAPing(String tag) throws Exception {
        Awaitility.await("RESP3: calls go on the subscriber's connection").atMost(Duration.ofSeconds(15))
                .until(subscriber::canCall);
        int before = pingsSent();
        proxy.holdRepliesWhere(clientName);
        Awaitility.await("a ping went out").atMost(Duration.ofSeconds(15)).until(() -> pingsSent() > before);
        Future<Response> call = subscriber.call(List.of("EVAL", "return {ARGV[1]}", "0", tag), tag, Duration.ofSeconds(10));
        Awaitility.await("the call went out behind the ping").atMost(Duration.ofSeconds(15))
                .until(() -> proxy.countInClientBytesWhere(clientName, tag) > 0);
        proxy.releaseReplies();

        Response reply = call.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(tag, reply.get(reply.size() - 1).toString(), "the call got its own reply");
        assertEquals(0, reopened.get(), "the connection was kept");
        publish("after the call");
        assertEquals("after the call", received.poll(10, TimeUnit.SECONDS));
    }

    private void subscribe(Duration pingInterval, String credentials) throws Exception {
        RedisDeployment deployment = new RedisDeployment(false, List.of("redis://" + credentials + "127.0.0.1:" + proxy.port()), null, "NONE",
                Duration.ofSeconds(30));
        subscriber = new ChannelSubscriber(vertx, deployment, clientName, Duration.ofMillis(50), Duration.ofMillis(200), pingInterval);
        subscriber.route("half-open-test:", (ch, payload) -> received.add(payload));
        subscriber.onReconnect(reopened::incrementAndGet);
        subscriber.start(vertx.getOrCreateContext());
        subscriber.subscribe(channel).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        publish("before");
        assertEquals("before", received.poll(10, TimeUnit.SECONDS));
    }

    private int pingsSent() {
        return proxy.countInClientBytesWhere(clientName, HalfOpenCheck.TOKEN);
    }

    private void publish(String payload) throws Exception {
        send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload));
    }

    private void send(Request request) throws Exception {
        publisher.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
