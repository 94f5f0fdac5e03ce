package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
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
    private final GatewayConfig config;

    public ChatSessions(RoomRegistry rooms, GatewayConfig config) {
        this.rooms = rooms;
        this.config = config;
    }

    ChatSession open(WebSocketConnection connection, String user) {
        ChatSession session = new ChatSession(connection, user, config.limits().outboundQueue());
        sessions.put(connection.id(), session);
        return session;
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
        }
        session.rooms().clear();
    }

    public Collection<ChatSession> all() {
        return sessions.values();
    }

    public int count() {
        return sessions.size();
    }
}
