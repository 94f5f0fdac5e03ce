package dev.chat.common.redis;

import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import io.vertx.redis.client.impl.CommandImpl;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Tells a subscribed connection that is merely quiet from one that is gone. A NAT, firewall or load balancer that
 * drops an idle connection leaves it half-open: a subscriber only reads, so nothing ever fails on it, and its rooms
 * would go silent for good. After an interval in which Redis sent nothing, the owner pings (or counts on replies
 * already owed); when Redis still sends nothing for a whole interval after that, the connection is reported dead.
 * A busy connection is never pinged. Confined to the Vert.x context the check is started on.
 *
 * <p>The PING ({@link #ping}) is sent marked as a pub/sub command, so the Vert.x client keeps no reply slot for it:
 * its answer reaches the connection's handler like a push (RESP2: {@code ["pong", token]}; RESP3: the bulk string
 * {@code token}), where {@link #isPingAnswer} tells it apart.
 */
public final class HalfOpenCheck {

    /** What the PING carries, and so what its answer holds. */
    public static final String TOKEN = "chat-liveness";
    private static final CommandImpl PING = ChannelSubscriber.unqueued("PING");

    private final Vertx vertx;
    private final long intervalMs;
    private final Runnable ping;
    private final Runnable onDead;
    private long timer;
    private boolean heard = true;
    /** When the owner was asked to ping ({@link System#nanoTime()}); -1 while nothing is awaited. */
    private long pingedAt = -1;
    private boolean stopped;

    private HalfOpenCheck(Vertx vertx, Duration interval, Runnable ping, Runnable onDead) {
        this.vertx = vertx;
        this.intervalMs = Math.max(1, interval.toMillis());
        this.ping = ping;
        this.onDead = onDead;
        arm();
    }

    /**
     * Starts checking every {@code interval}: {@code ping} runs when the connection was quiet for one (it sends
     * {@link #ping}, or relies on replies already owed), {@code onDead} once if nothing came for an interval after it.
     */
    public static HalfOpenCheck start(Vertx vertx, Duration interval, Runnable ping, Runnable onDead) {
        return new HalfOpenCheck(vertx, interval, ping, onDead);
    }

    /** Sends the check's PING on {@code connection}; a failed write ends the connection, and its own handlers report that. */
    public static void ping(RedisConnection connection) {
        connection.send(Request.cmd(PING).arg(TOKEN));
    }

    /** Whether {@code reply} is the answer to {@link #ping}, which a handler should pass by. */
    public static boolean isPingAnswer(Response reply) {
        if (reply.type() == ResponseType.BULK) {
            return TOKEN.equals(reply.toString());
        }
        return reply.type() == ResponseType.MULTI && reply.size() == 2 && "pong".equals(String.valueOf(reply.get(0)))
                && TOKEN.equals(String.valueOf(reply.get(1)));
    }

    /** Redis sent something on the connection: call it for every reply and push the connection's handler gets. */
    public void heard() {
        heard = true;
    }

    public void stop() {
        if (!stopped) {
            stopped = true;
            vertx.cancelTimer(timer);
        }
    }

    // One timer at a time, set again after each tick: after a stalled event loop the ticks do not come back to back,
    // which would give a ping no time for its answer.
    private void arm() {
        timer = vertx.setTimer(intervalMs, id -> tick());
    }

    private void tick() {
        if (stopped) {
            return;
        }
        if (heard) {
            heard = false;
            pingedAt = -1;
        } else if (pingedAt < 0) {
            pingedAt = System.nanoTime();
            ping.run();
        } else if (System.nanoTime() - pingedAt >= TimeUnit.MILLISECONDS.toNanos(intervalMs)) {
            stopped = true;
            onDead.run();
            return;
        }
        arm();
    }
}
