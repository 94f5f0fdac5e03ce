package dev.chat.gateway.connection;

import dev.chat.gateway.NodeName;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.protocol.ErrorCode;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.RoomNames;
import dev.chat.gateway.protocol.ServerFrame;
import io.quarkus.logging.Log;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The {@code /chat} WebSocket: one authenticated user per connection, JSON text frames as in PROTOCOL.md. */
@Authenticated
@WebSocket(path = "/chat")
public class ChatEndpoint {

    private static final int POLICY_VIOLATION = 1008;
    private static final int TRY_AGAIN_LATER = 1013;

    private final SecurityIdentity identity;
    private final ChatSessions sessions;
    private final FrameHandler handler;
    private final FrameCodec codec;
    private final NodeName node;
    private final GatewayMetrics metrics;
    private final TokenExpiry expiry;

    public ChatEndpoint(SecurityIdentity identity, ChatSessions sessions, FrameHandler handler, FrameCodec codec, NodeName node,
            GatewayMetrics metrics, TokenExpiry expiry) {
        this.metrics = metrics;
        this.expiry = expiry;
        this.identity = identity;
        this.sessions = sessions;
        this.handler = handler;
        this.codec = codec;
        this.node = node;
    }

    @OnOpen
    public Uni<Void> onOpen(WebSocketConnection connection) {
        String user = ((JsonWebToken) identity.getPrincipal()).getSubject();
        if (!RoomNames.isValidUser(user)) {
            return connection.sendText(codec.encode(new ServerFrame.Error(ErrorCode.FORBIDDEN.wire(),
                    "token subject is not a valid user id", null)))
                    .chain(() -> connection.close(new CloseReason(POLICY_VIOLATION, "invalid user id")));
        }
        if (!sessions.admit(user)) {
            return connection.sendText(codec.encode(new ServerFrame.Error(ErrorCode.RATE_LIMITED.wire(),
                    "too many connections for this user", null)))
                    .chain(() -> connection.close(new CloseReason(TRY_AGAIN_LATER, "too many connections")));
        }
        ChatSession session = sessions.newSession(connection, user);
        expiry.watch(session, (JsonWebToken) identity.getPrincipal());
        Log.debugf("Connection %s opened for %s", connection.id(), user);
        // Welcome only once direct messages to this user are routed here, so none sent after it is missed.
        return Uni.createFrom().completionStage(() -> sessions.open(session).toCompletionStage())
                .ifNoItem().after(Duration.ofSeconds(5)).recoverWithItem((Void) null)
                .onFailure().recoverWithItem((Void) null)
                .invoke(() -> session.send(codec.encode(new ServerFrame.Welcome(user, node.name()))));
    }

    @OnTextMessage
    public Uni<Void> onText(String text, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session == null) {
            return Uni.createFrom().voidItem();
        }
        metrics.frameIn();
        session.heard();
        session.frameStarted();
        return handler.handle(session, text).eventually(session::frameFinished);
    }

    @OnBinaryMessage
    public void onBinary(Buffer data, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session != null) {
            session.send(codec.encode(new ServerFrame.Error(ErrorCode.BAD_REQUEST.wire(), "binary frames are not supported; send JSON text frames", null)));
        }
    }

    @OnPongMessage
    public void onPong(Buffer data, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session != null) {
            session.heard();
        }
    }

    @OnClose
    public void onClose(WebSocketConnection connection) {
        sessions.close(connection);
        Log.debugf("Connection %s closed", connection.id());
    }
}
