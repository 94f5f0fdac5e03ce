package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.direct.DirectDelivery;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.presence.PresenceRegistry;
import io.vertx.core.Future;
import io.vertx.core.net.impl.ConnectionBase;
import dev.chat.gateway.room.Member;
import dev.chat.gateway.room.RoomRegistry;
import io.quarkus.websockets.next.WebSocketConnection;
import io.quarkus.scheduler.Scheduled;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The open connections of this gateway. */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class ChatSessions {

    private final Map<String, ChatSession> sessions = new ConcurrentHashMap<>();
    private final RoomRegistry rooms;
    private final PresenceRegistry presence;
    private final DirectDelivery direct;
    private final GatewayConfig config;

    private final GatewayMetrics metrics;
    private final LimitPolicy limits;
    private final Map<String, Integer> perUser = new ConcurrentHashMap<>();
    private final ChatSession.Outbound outbound;
    private final InboundFrames.Limits inboundLimits;
    private final UserBudgets connects;

    public ChatSessions(RoomRegistry rooms, PresenceRegistry presence, DirectDelivery direct, GatewayConfig config, GatewayMetrics metrics,
            LimitPolicy limits) {
        this.metrics = metrics;
        this.limits = limits;
        metrics.gauge("chat.gateway.connections", "Open WebSocket connections", sessions::size);
        this.rooms = rooms;
        this.presence = presence;
        this.direct = direct;
        this.config = config;
        this.outbound = new ChatSession.Outbound(config.limits().outboundQueue(), config.limits().outboundBytes(),
                config.limits().closeStallTimeout().toMillis());
        this.inboundLimits = new InboundFrames.Limits(config.limits().inboundFrames(), config.limits().inboundBytes());
        this.connects = new UserBudgets(config.limits().connectsPerSecond(), config.limits().connectBurst(), MAX_CONNECTING_USERS);
    }

    InboundFrames.Limits inboundLimits() {
        return inboundLimits;
    }

    /** Whether a user's new connection stays, and if not, why. */
    enum Admission { ADMITTED, TOO_MANY_CONNECTIONS, TOO_MANY_CONNECTS }

    /** Users remembered by their connect budget (those still spending it; the rest are forgotten when it fills). */
    static final int MAX_CONNECTING_USERS = 100_000;

    /**
     * Whether the user may open one more connection here: at most connections-per-user open per gateway, and at most
     * connects-per-second (burst connect-burst) opened, counted across reconnects.
     */
    Admission admit(String user) {
        if (!connects.tryTake(user)) {
            return Admission.TOO_MANY_CONNECTS;
        }
        int count = perUser.merge(user, 1, Integer::sum);
        if (count > config.limits().connectionsPerUser()) {
            release(user);
            return Admission.TOO_MANY_CONNECTIONS;
        }
        return Admission.ADMITTED;
    }

    // Often: a connect leaves a bucket per user (about 80 bytes) that is rested again within a fraction of a second, and a
    // storm of 10,000 connects should not keep 10,000 of them for a minute.
    @Scheduled(every = "5s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void forgetRestedConnectors() {
        connects.forgetRested();
    }

    private void release(String user) {
        perUser.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
        if (!perUser.containsKey(user)) {
            limits.forget(user);
        }
    }

    /** Registers a connection; completes once its user's direct messages are routed to this gateway. */
    Future<Void> open(ChatSession session) {
        sessions.put(session.id(), session);
        // Welcome waits for both: direct messages routed here, and the user recorded online (else a DM right after welcome would count them offline).
        return Future.all(presence.connected(session.user()), direct.connected(session)).mapEmpty();
    }

    ChatSession newSession(WebSocketConnection connection, String user) {
        // Called on the connection's own event loop (onOpen): deliveries to it will run there.
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        io.netty.channel.EventLoop loop = context instanceof io.vertx.core.impl.ContextInternal internal && context.isEventLoopContext()
                ? internal.nettyEventLoop() : null;
        ConnectionBase socket = SocketReading.take(connection.userData());
        ChatSession session = new ChatSession(connection, user, outbound, metrics, socket, loop);
        if (socket != null) {
            ControlFrames.take(socket.channel().pipeline(), session, limits);
        }
        return session;
    }

    ChatSession get(WebSocketConnection connection) {
        return sessions.get(connection.id());
    }

    /** Forgets the connection and leaves all its rooms (unsubscribing rooms it was the last local member of). */
    void close(WebSocketConnection connection) {
        ChatSession session = sessions.remove(connection.id());
        if (session != null) {
            session.afterOpening(() -> leave(session));
        }
    }

    private void leave(ChatSession session) {
        // Cleared before presence is told: a join completing meanwhile sees its membership gone and uncounts it itself.
        for (Member member : session.leaveAllRooms()) {
            rooms.remove(member);
            presence.left(member, member.room(), session.user());
        }
        direct.disconnected(session);
        presence.disconnected(session.user());
        release(session.user());
    }

    /** Whether the session is still open here (a draining gateway skips the ones that left on their own). */
    boolean holds(ChatSession session) {
        return sessions.get(session.id()) == session;
    }

    public Collection<ChatSession> all() {
        return sessions.values();
    }

    /** Closes connections that went silent (no frame, no pong) for longer than the idle timeout: half-open TCP. */
    @io.quarkus.scheduler.Scheduled(every = "${chat.limits.idle-check-interval:15s}", concurrentExecution = io.quarkus.scheduler.Scheduled.ConcurrentExecution.SKIP)
    void reapSilent() {
        long cutoff = System.currentTimeMillis() - config.limits().idleTimeout().toMillis();
        for (ChatSession session : sessions.values()) {
            if (session.lastHeard() < cutoff) {
                io.quarkus.logging.Log.infof("Closing silent connection %s of %s", session.id(), session.user());
                session.close(1000, "idle");
            }
        }
    }

    public int count() {
        return sessions.size();
    }
}
