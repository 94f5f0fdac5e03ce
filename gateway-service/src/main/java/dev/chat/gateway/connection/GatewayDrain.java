package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.room.RoomRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Takes a gateway out of service on SIGTERM: readiness goes DOWN and new upgrades are refused first, for
 * {@code chat.drain-notice}, then the clients get {@code reconnect} in batches spread over {@code chat.drain-spread} of the drain
 * timeout (so the other gateways are not hit by all of them at once), and each closes with 1012 once
 * its in-flight frames are answered; whatever is still open at the drain timeout is cut.
 */
@ApplicationScoped
public class GatewayDrain {

    private final ChatSessions sessions;
    private final FrameCodec codec;
    private final GatewayConfig config;
    private final RoomRegistry rooms;
    private volatile boolean draining;

    public GatewayDrain(ChatSessions sessions, FrameCodec codec, GatewayConfig config, RoomRegistry rooms) {
        this.sessions = sessions;
        this.codec = codec;
        this.config = config;
        this.rooms = rooms;
    }

    public boolean isDraining() {
        return draining;
    }

    /** First step of a graceful shutdown (before Quarkus closes connections on its own, without a word). */
    void onShutdownDelay(@Observes ShutdownDelayInitiatedEvent event) {
        drainAll();
    }

    /** Fallback when no shutdown delay is configured. */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        drainAll();
    }

    // Runs on the shutdown thread, never on an event loop, so its waits block nothing else.
    private synchronized void drainAll() {
        if (draining) {
            return;
        }
        draining = true; // from here no new connection is admitted, so the list below is complete
        // Readiness is DOWN from here: a load balancer that polls it stops routing here before anyone is told to go.
        waitUntil(System.nanoTime() + config.drainNotice().toNanos(), () -> false);
        List<ChatSession> toTell = new ArrayList<>(sessions.all());
        long start = System.nanoTime();
        long deadline = start + config.drainTimeout().toNanos();
        DrainSchedule schedule = DrainSchedule.of(toTell.size(), config.drainTimeout(), config.drainSpread());
        Log.infof("Draining %d connections: reconnect in %d batches over %d ms", toTell.size(), schedule.batches(),
                schedule.window().toMillis());
        String reconnect = codec.encode(new ServerFrame.Reconnect("shutdown"));
        // Until its batch, a client keeps full service (it sends, receives, is acked). Told, it gets
        // `reconnect` after every frame already queued to it, then 1012 once its frames in flight are
        // answered. The last batch goes at (spread x timeout), which leaves the rest of the timeout
        // for those answers before anything is cut.
        for (int batch = 0; batch < schedule.batches(); batch++) {
            waitUntil(start + schedule.offset(batch).toNanos(), () -> false);
            for (ChatSession session : toTell.subList(schedule.firstOf(batch), schedule.firstOf(batch + 1))) {
                if (sessions.holds(session)) {
                    tell(session, reconnect);
                }
            }
        }
        waitUntil(deadline, () -> sessions.count() == 0);
        int forced = sessions.count();
        for (ChatSession session : sessions.all()) {
            session.forceClose();
        }
        Log.infof("Drained %d connections; %d forced", toTell.size(), forced);
    }

    /**
     * Tells one client to reconnect, after its rooms' frames that wait for the write interval: those would otherwise
     * follow the {@code reconnect}, or be cut with the connection (typing and presence frames lost, messages replayed).
     */
    void tell(ChatSession session, String reconnect) {
        session.drain(reconnect, () -> rooms.writeWaiting(session.rooms().values()));
    }

    /** Waits until the System.nanoTime() deadline, or until {@code done} holds (checked every 20 ms). */
    private static void waitUntil(long deadlineNanos, java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(20, TimeUnit.NANOSECONDS.toMillis(left))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
