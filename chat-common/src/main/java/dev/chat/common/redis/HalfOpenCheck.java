package dev.chat.common.redis;

import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import io.vertx.redis.client.impl.CommandImpl;
import java.time.Duration;

/**
 * Tells a subscribed connection that is merely quiet from one that is gone. A NAT, firewall or load balancer that
 * drops an idle connection leaves it half-open: a subscriber only reads, so nothing ever fails on it, and its rooms
 * would go silent for good. After each interval in which Redis sent nothing, a PING goes out (a subscribed connection
 * may carry it, in RESP2 and RESP3); when the next interval brings nothing either, the connection is reported dead.
 * A busy connection is never pinged. Confined to the Vert.x context the check is started on.
 *
 * <p>The PING is sent marked as a pub/sub command, so the Vert.x client keeps no reply slot for it: its answer reaches
 * the connection's handler like a push (RESP2: {@code ["pong", token]}; RESP3: the bulk string {@code token}), where
 * handlers that look only for messages pass it by.
 */
public final class HalfOpenCheck {

    /** What the PING carries, and so what its answer holds. */
    public static final String TOKEN = "chat-liveness";
    // Arity -2: a name and at least one argument; pub/sub, so no reply slot (see the class comment).
    private static final CommandImpl PING = new CommandImpl("ping", -2, null, true, false);

    private final RedisConnection connection;
    private final Runnable onDead;
    private final Vertx vertx;
    private final long timer;
    private boolean heard = true;
    private boolean pinged;
    private boolean stopped;

    private HalfOpenCheck(Vertx vertx, RedisConnection connection, Duration interval, Runnable onDead) {
        this.vertx = vertx;
        this.connection = connection;
        this.onDead = onDead;
        // Set on the caller's context, so the timer fires on it.
        this.timer = vertx.setPeriodic(interval.toMillis(), id -> tick());
    }

    /** Starts checking {@code connection} every {@code interval}; {@code onDead} runs once if it stops answering. */
    public static HalfOpenCheck start(Vertx vertx, RedisConnection connection, Duration interval, Runnable onDead) {
        return new HalfOpenCheck(vertx, connection, interval, onDead);
    }

    /** Redis sent something on the connection: call it for every reply and push the connection's handler gets. */
    public void heard() {
        heard = true;
    }

    /** Whether {@code reply} is the answer to this check's PING (RESP3), which a handler should pass by. */
    public static boolean isPingAnswer(Response reply) {
        return reply.type() == ResponseType.BULK && TOKEN.equals(reply.toString());
    }

    public void stop() {
        if (!stopped) {
            stopped = true;
            vertx.cancelTimer(timer);
        }
    }

    private void tick() {
        if (stopped) {
            return;
        }
        if (heard) {
            heard = false;
            pinged = false;
            return;
        }
        if (pinged) {
            stop();
            onDead.run();
            return;
        }
        pinged = true;
        // A failed write ends the connection, and its own handlers report that.
        connection.send(Request.cmd(PING).arg(TOKEN));
    }
}
