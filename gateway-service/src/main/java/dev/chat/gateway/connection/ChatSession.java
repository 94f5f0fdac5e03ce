package dev.chat.gateway.connection;

import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.Member;
import dev.chat.gateway.room.Recipient;
import io.quarkus.logging.Log;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** One client connection: who it is, which rooms it joined, and its bounded outbound queue. */
public final class ChatSession implements Recipient {

    /** Close code for a client too slow to keep up (PROTOCOL.md). */
    static final int TRY_AGAIN_LATER = 1013;
    /** Close code after {@code reconnect}: this gateway is going away. */
    static final int SERVICE_RESTART = 1012;
    static final int POLICY_VIOLATION = 1008;

    private final WebSocketConnection connection;
    private final String user;
    private final int outboundLimit;
    private final Map<String, Member> rooms = new ConcurrentHashMap<>();
    private final AtomicInteger unflushed = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closing;
    private volatile boolean draining;

    private final GatewayMetrics metrics;
    private final TokenBucket messages;
    private final TokenBucket joins;
    private final AtomicInteger strikes = new AtomicInteger();
    private volatile long strikeWindowStart = System.currentTimeMillis();
    private volatile long lastHeard = System.currentTimeMillis();

    private final io.netty.channel.EventLoop eventLoop;

    ChatSession(WebSocketConnection connection, String user, int outboundLimit, GatewayMetrics metrics, TokenBucket messages, TokenBucket joins,
            io.netty.channel.EventLoop eventLoop) {
        this.eventLoop = eventLoop;
        this.metrics = metrics;
        this.messages = messages;
        this.joins = joins;
        this.connection = connection;
        this.user = user;
        this.outboundLimit = outboundLimit;
    }

    @Override
    public String user() {
        return user;
    }

    public String id() {
        return connection.id();
    }

    @Override
    public boolean hasJoined(String room) {
        return rooms.containsKey(room);
    }

    Map<String, Member> rooms() {
        return rooms;
    }

    private volatile long expiryTimer = -1;

    void expiryTimer(long id) {
        expiryTimer = id;
    }

    long expiryTimer() {
        return expiryTimer;
    }

    TokenBucket messages() {
        return messages;
    }

    TokenBucket joins() {
        return joins;
    }

    int roomCount() {
        return rooms.size();
    }

    /** Counts a refusal; true once the refusals within one minute reach the threshold. */
    boolean strike(int threshold) {
        long now = System.currentTimeMillis();
        if (now - strikeWindowStart > 60_000) {
            strikeWindowStart = now;
            strikes.set(0);
        }
        return strikes.incrementAndGet() >= threshold;
    }

    void closeForAbuse() {
        close(POLICY_VIOLATION, "too many refused frames");
    }

    /** Something arrived from the client (a frame or a pong): it is alive. */
    void heard() {
        lastHeard = System.currentTimeMillis();
    }

    long lastHeard() {
        return lastHeard;
    }

    void close(int code, String reason) {
        closing = true;
        if (!connection.isClosed()) {
            connection.close(new CloseReason(code, reason)).subscribe().with(v -> {
            }, e -> {
            });
        }
    }

    /** Counts a client frame being handled; draining waits for it so its answer is not lost. */
    void frameStarted() {
        inFlight.incrementAndGet();
    }

    void frameFinished() {
        if (inFlight.decrementAndGet() == 0 && draining) {
            closeForRestart();
        }
    }

    boolean isDraining() {
        return draining;
    }

    /** Tells the client to reconnect elsewhere and closes with 1012 once no frame of it is in flight. */
    void drain(String reconnectFrame) {
        send(reconnectFrame);
        draining = true;
        if (inFlight.get() == 0) {
            closeForRestart();
        }
    }

    void forceClose() {
        closeForRestart();
    }

    private void closeForRestart() {
        if (!connection.isClosed()) {
            connection.close(new CloseReason(SERVICE_RESTART, "gateway restarting")).subscribe().with(v -> {
            }, e -> {
            });
        }
    }

    @Override
    public io.netty.channel.EventLoop eventLoop() {
        return eventLoop;
    }

    @Override
    public void send(String frame) {
        send(frame, null);
    }

    @Override
    public void send(String frame, Runnable written) {
        if (closing) {
            return;
        }
        if (unflushed.incrementAndGet() > outboundLimit) {
            // The client does not read fast enough: drop it rather than buffer without bound or slow the room.
            closing = true;
            metrics.slowConsumerClosed();
            Log.infof("Closing connection %s of %s: %d frames not flushed", connection.id(), user, outboundLimit);
            connection.close(new CloseReason(TRY_AGAIN_LATER, "too slow")).subscribe().with(v -> {
            }, e -> {
            });
            return;
        }
        metrics.frameOut();
        connection.sendText(frame).subscribe().with(v -> {
            unflushed.decrementAndGet();
            if (written != null) {
                written.run();
            }
        }, e -> unflushed.decrementAndGet());
    }
}
