package dev.chat.gateway.connection;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.NodeName;
import dev.chat.gateway.auth.ConnectionUser;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.protocol.ErrorCode;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.FrameRejected;
import dev.chat.gateway.protocol.ServerFrame;
import io.quarkus.logging.Log;
import io.quarkus.security.Authenticated;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.InboundProcessingMode;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnPongMessage;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.function.Function;

/**
 * The {@code /chat} WebSocket: one authenticated user per connection, JSON text frames as in PROTOCOL.md.
 * Callbacks run concurrently as far as websockets-next is concerned (its serial mode keeps a queue of about 1 KB
 * per connection for its whole life): the session orders them itself. Frames wait in the session's
 * {@link InboundFrames} until the welcome is out, and a close that comes first is cleaned up after the opening.
 */
@Authenticated
@WebSocket(path = ChatEndpoint.PATH, inboundProcessingMode = InboundProcessingMode.CONCURRENT)
public class ChatEndpoint {

    public static final String PATH = "/chat";

    private static final int MESSAGE_TOO_BIG = 1009;
    /** Stands for a binary frame in the session's queue (compared by identity), so its refusal keeps its place. */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String BINARY_FRAME = new String("binary");

    private final ChatSessions sessions;
    private final FrameHandler handler;
    private final FrameCodec codec;
    private final NodeName node;
    private final GatewayMetrics metrics;

    public ChatEndpoint(ChatSessions sessions, FrameHandler handler, FrameCodec codec, NodeName node,
            GatewayMetrics metrics) {
        this.metrics = metrics;
        this.sessions = sessions;
        this.handler = handler;
        this.codec = codec;
        this.node = node;
    }

    @OnOpen
    public Uni<Void> onOpen(WebSocketConnection connection) {
        // Handed over by the upgrade (UpgradeIdentity), and taken: the connection keeps only the user and the expiry.
        ConnectionUser proven = connection.userData().remove(UpgradeIdentity.USER);
        UpgradeHeaders.release(connection.userData());
        if (proven == null || !RoomNames.isValidUser(proven.user())) {
            // proven is never null after UpgradeIdentity's check; refused the same way if it were.
            return connection.sendText(codec.encode(new ServerFrame.Error(ErrorCode.FORBIDDEN.wire(),
                    "token subject is not a valid user id", null)))
                    .chain(() -> connection.close(new CloseReason(ChatSession.POLICY_VIOLATION, "invalid user id")));
        }
        String user = proven.user();
        ChatSessions.Admission admission = sessions.admit(user);
        if (admission != ChatSessions.Admission.ADMITTED) {
            boolean open = admission == ChatSessions.Admission.TOO_MANY_CONNECTIONS;
            return connection.sendText(codec.encode(new ServerFrame.Error(ErrorCode.RATE_LIMITED.wire(),
                    open ? "too many connections for this user" : "too many connects for this user; slow down", null)))
                    .chain(() -> connection.close(new CloseReason(ChatSession.TRY_AGAIN_LATER, open ? "too many connections" : "too many connects")));
        }
        ChatSession session = sessions.newSession(connection, user);
        session.expiresAt(proven.expiresAt());
        Log.debugf("Connection %s opened for %s", connection.id(), user);
        // Welcome only once direct messages to this user are routed here, so none sent after it is missed.
        return Uni.createFrom().completionStage(() -> sessions.open(session).toCompletionStage())
                .ifNoItem().after(Duration.ofSeconds(5)).recoverWithItem((Void) null)
                .onFailure().recoverWithItem((Void) null)
                .invoke(() -> {
                    if (session.opened(codec.encode(new ServerFrame.Welcome(user, node.name())))) {
                        session.inbound().release(sessions.inboundLimits(), frames(session));
                    }
                });
    }

    /** How the session's frames are handled, in order; each one counted until its answer is written. */
    private Function<String, Uni<Void>> frames(ChatSession session) {
        return text -> (text == BINARY_FRAME
                ? handler.refuse(session, new FrameRejected(ErrorCode.BAD_REQUEST, "binary frames are not supported; send JSON text frames", null))
                : handler.handle(session, text))
                .eventually(session::frameFinished);
    }

    private void arrived(ChatSession session, String text) {
        session.frameStarted();
        if (session.inbound().arrived(text, sessions.inboundLimits(), frames(session)) == InboundFrames.Arrival.OVERFLOW) {
            session.close(ChatSession.POLICY_VIOLATION, "too many unhandled frames");
        }
    }

    @OnTextMessage
    public Uni<Void> onText(String text, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session == null) {
            return Uni.createFrom().voidItem();
        }
        metrics.frameIn();
        session.heard();
        // The session's own bounded queue orders the frames.
        arrived(session, text);
        return Uni.createFrom().voidItem();
    }

    // Void callbacks would run on a worker thread by default: these stay on the connection's event loop, in arrival
    // order with its text frames, and without a thread hop per pong or close.
    @OnBinaryMessage
    @NonBlocking
    public void onBinary(Buffer data, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session != null) {
            arrived(session, BINARY_FRAME);
        }
    }

    /** Only where the session does not know its socket: otherwise pings and pongs are taken before Vert.x (ControlFrames). */
    @OnPongMessage
    @NonBlocking
    public void onPong(Buffer data, WebSocketConnection connection) {
        ChatSession session = sessions.get(connection);
        if (session != null) {
            session.heard();
        }
    }

    /**
     * Every failure websockets-next reports closes the connection through its session, which then writes nothing more
     * (left to websockets-next, the close frame would go out while the room kept writing to the socket). Vert.x refuses
     * a message above quarkus.websockets-next.server.max-message-size with an IllegalStateException: PROTOCOL.md promises
     * 1009 for it; anything else is the gateway's fault, 1011 as websockets-next would close it.
     */
    @OnError
    public Uni<Void> onError(Throwable e, WebSocketConnection connection) {
        if (connection.isClosed()) {
            Log.debugf("Connection %s failed while closing: %s", connection.id(), e.toString());
            return Uni.createFrom().voidItem();
        }
        boolean tooBig = e instanceof IllegalStateException && e.getMessage() != null && e.getMessage().contains("max message size");
        if (!tooBig) {
            Log.errorf(e, "Connection %s failed", connection.id());
        }
        int code = tooBig ? MESSAGE_TOO_BIG : ChatSession.INTERNAL_ERROR;
        String reason = tooBig ? "message too large" : "internal error";
        ChatSession session = sessions.get(connection);
        if (session == null) {
            return connection.close(new CloseReason(code, reason));
        }
        session.close(code, reason);
        return Uni.createFrom().voidItem();
    }

    @OnClose
    @NonBlocking
    public void onClose(WebSocketConnection connection) {
        sessions.close(connection);
        Log.debugf("Connection %s closed", connection.id());
    }
}
