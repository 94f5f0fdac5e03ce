package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;

/**
 * Takes a gateway out of service on SIGTERM: readiness goes DOWN first, then every client gets
 * {@code reconnect} and, once its in-flight frames are answered, close code 1012, within the drain timeout.
 */
@ApplicationScoped
public class GatewayDrain {

    private final ChatSessions sessions;
    private final FrameCodec codec;
    private final GatewayConfig config;
    private volatile boolean draining;

    public GatewayDrain(ChatSessions sessions, FrameCodec codec, GatewayConfig config) {
        this.sessions = sessions;
        this.codec = codec;
        this.config = config;
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

    private synchronized void drainAll() {
        if (draining) {
            return;
        }
        draining = true;
        int count = sessions.count();
        Log.infof("Draining %d connections", count);
        String reconnect = codec.encode(new ServerFrame.Reconnect("shutdown"));
        for (ChatSession session : sessions.all()) {
            session.drain(reconnect);
        }
        Instant deadline = Instant.now().plus(config.drainTimeout());
        // Runs on the shutdown thread, never on an event loop, so waiting here blocks nothing else.
        while (sessions.count() > 0 && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (ChatSession session : sessions.all()) {
            session.forceClose();
        }
        Log.infof("Drained %d connections; %d forced", count, sessions.count());
    }
}
