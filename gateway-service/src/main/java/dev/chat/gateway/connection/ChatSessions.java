package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.direct.DirectDelivery;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.presence.PresenceRegistry;
import io.vertx.core.Future;
import dev.chat.gateway.room.Member;
import dev.chat.gateway.room.RoomRegistry;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The open connections of this gateway. */
@ApplicationScoped
public class ChatSessions {

    private final Map<String, ChatSession> sessions = new ConcurrentHashMap<>();
    private final RoomRegistry rooms;
    private final PresenceRegistry presence;
    private final DirectDelivery direct;
    private final GatewayConfig config;

    private final GatewayMetrics metrics;

    public ChatSessions(RoomRegistry rooms, PresenceRegistry presence, DirectDelivery direct, GatewayConfig config, GatewayMetrics metrics) {
        this.metrics = metrics;
        metrics.gauge("chat.gateway.connections", "Open WebSocket connections", sessions::size);
        this.rooms = rooms;
        this.presence = presence;
        this.direct = direct;
        this.config = config;
    }

    /** Registers a connection; completes once its user's direct messages are routed to this gateway. */
    Future<Void> open(ChatSession session) {
        sessions.put(session.id(), session);
        presence.connected(session.user());
        return direct.connected(session);
    }

    ChatSession newSession(WebSocketConnection connection, String user) {
        return new ChatSession(connection, user, config.limits().outboundQueue(), metrics);
    }

    ChatSession get(WebSocketConnection connection) {
        return sessions.get(connection.id());
    }

    /** Forgets the connection and leaves all its rooms (unsubscribing rooms it was the last local member of). */
    void close(WebSocketConnection connection) {
        ChatSession session = sessions.remove(connection.id());
        if (session == null) {
            return;
        }
        for (Member member : session.rooms().values()) {
            rooms.remove(member);
            presence.left(member.room(), session.user());
        }
        session.rooms().clear();
        direct.disconnected(session);
        presence.disconnected(session.user());
    }

    public Collection<ChatSession> all() {
        return sessions.values();
    }

    public int count() {
        return sessions.size();
    }
}
