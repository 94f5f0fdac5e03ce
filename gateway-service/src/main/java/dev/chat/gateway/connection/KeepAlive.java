package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import io.netty.channel.EventLoop;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pings every connection once per {@code chat.limits.ping-interval}, from one timer, at a point of the interval set
 * by the connection's id: the pongs keep clients that only listen from counting as silent
 * ({@link ChatSessions#reapSilent}), and the traffic keeps proxies from closing idle tunnels.
 * <p>
 * websockets-next's auto-ping instead starts a periodic timer per connection when it opens. A connect storm (a gateway
 * restart sends every client back at once) then returns as a wave of pings every interval for as long as those clients
 * stay, and every connection carries a timer. Here pings go out at an even rate whenever the connections came, the
 * first within one interval of the opening (BENCHMARKS.md, "Keep-alive pings").
 */
@ApplicationScoped
public class KeepAlive {

    private static final long MAX_TICK_MILLIS = 1000;

    private final ChatSessions sessions;
    private final Vertx vertx;
    private final long intervalMillis;
    /** Ticks per interval: each connection is pinged on one of them. */
    private final int slots;
    private long timer = -1;
    private long ticks;

    public KeepAlive(ChatSessions sessions, Vertx vertx, GatewayConfig config) {
        this.sessions = sessions;
        this.vertx = vertx;
        this.intervalMillis = config.limits().pingInterval().toMillis();
        this.slots = slots(intervalMillis);
    }

    void start(@Observes StartupEvent event) {
        if (intervalMillis > 0) {
            timer = vertx.setPeriodic(tickMillis(intervalMillis), t -> tick());
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Pings the connections whose turn this tick is, each on its own event loop, one task per loop. */
    private void tick() {
        int slot = (int) (ticks++ % slots);
        Map<EventLoop, List<ChatSession>> due = new HashMap<>();
        for (ChatSession session : sessions.all()) {
            if (slotOf(session.id(), slots) != slot) {
                continue;
            }
            EventLoop loop = session.eventLoop();
            if (loop == null) {
                session.ping();
            } else {
                due.computeIfAbsent(loop, l -> new ArrayList<>()).add(session);
            }
        }
        due.forEach((loop, batch) -> loop.execute(() -> batch.forEach(ChatSession::ping)));
    }

    /** One tick a second, or one per interval when the interval is shorter. */
    static long tickMillis(long intervalMillis) {
        return Math.max(1, Math.min(MAX_TICK_MILLIS, intervalMillis));
    }

    /** How many ticks one interval has: each connection is pinged on one of them. */
    static int slots(long intervalMillis) {
        return (int) Math.max(1, intervalMillis / tickMillis(intervalMillis));
    }

    /** The tick of each interval on which a connection is pinged: spread evenly by its id, whenever it opened. */
    static int slotOf(String connectionId, int slots) {
        return Math.floorMod(connectionId.hashCode(), slots);
    }
}
