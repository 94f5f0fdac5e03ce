package dev.chat.gateway.connection;

import dev.chat.common.http.RequestPipelining;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A connection's WebSocket pings and pongs, taken from its socket before Vert.x sees them. Vert.x answers every ping
 * at once and without bound: a client that sends pings and never reads parks their pongs in the gateway's memory (one
 * such client took a 256 MB gateway to OutOfMemoryError within seconds). Here both count against the connection's ping
 * rate, where a refusal is a strike toward the abuse close (1008), and a pong goes through the session's outbound
 * bound like every frame (1013 past it). RFC 6455 lets an endpoint leave all but the latest of several pings
 * unanswered; a client within its rate gets every pong.
 *
 * <p>Fragments of a message are counted here too, before Vert.x joins them: neither reaches the rate limits until the
 * message is whole, so a client could send millions of empty continuation frames (one did 31 million in 10 s, 11 s of
 * CPU) or hold a message of 128 KiB open for good while it answers the keep-alive pings. A message may come in at most
 * {@link #MAX_FRAGMENTS} frames (1009 past them) and must be whole within {@code chat.limits.fragmented-message-timeout}
 * (10 s) of its first fragment (1008 past that, checked at each frame that arrives; a client that sends nothing more is
 * silent, and the idle timeout closes it).
 */
final class ControlFrames extends ChannelInboundHandlerAdapter {

    private static final String NAME = "chat-control-frames";

    /** Most frames one message may come in, empty ones included (browsers send each message in one frame). */
    static final int MAX_FRAGMENTS = 64;
    private final ChatSession session;
    private final LimitPolicy limits;
    /** Frames so far of the message arriving in fragments; 0 when none is open, -1 once the connection was closed here. */
    private int fragments;
    private long fragmentedSince;

    private ControlFrames(ChatSession session, LimitPolicy limits) {
        this.session = session;
        this.limits = limits;
    }

    /**
     * At the session's opening, on its socket's loop, right before Vert.x's handler (after the WebSocket decoder). Pings read
     * between the upgrade and the opening were still answered by Vert.x; every later one is taken here.
     */
    static void take(ChannelPipeline pipeline, ChatSession session, LimitPolicy limits) {
        if (pipeline.get(RequestPipelining.VERTX_HANDLER) != null) {
            pipeline.addBefore(RequestPipelining.VERTX_HANDLER, NAME, new ControlFrames(session, limits));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (fragments != 0 && !fragmentsAdmitted(msg)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof PingWebSocketFrame ping) {
            try {
                session.heard();
                if (limits.admitControlFrame(session)) {
                    session.answerPing(ping.content());
                }
            } finally {
                ping.release();
            }
        } else if (msg instanceof PongWebSocketFrame pong) {
            // An answer to the gateway's keep-alive ping, or a client's own heartbeat (RFC 6455 allows unsolicited pongs).
            pong.release();
            session.heard();
            limits.admitControlFrame(session);
        } else {
            if (msg instanceof WebSocketFrame frame && !frame.isFinalFragment() && !(frame instanceof ContinuationWebSocketFrame)) {
                fragments = 1;
                fragmentedSince = System.currentTimeMillis();
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** While a message arrives in fragments: whether {@code msg} may pass; if not, the connection is being closed. */
    private boolean fragmentsAdmitted(Object msg) {
        if (msg instanceof CloseWebSocketFrame) {
            return true;
        }
        if (fragments < 0) {
            return false;
        }
        if (System.currentTimeMillis() - fragmentedSince > limits.fragmentedMessageMillis()) {
            fragments = -1;
            session.close(1008, "a fragmented message was not finished in time");
            return false;
        }
        if (msg instanceof ContinuationWebSocketFrame continuation) {
            if (++fragments > MAX_FRAGMENTS) {
                fragments = -1;
                session.close(1009, "a message may come in at most " + MAX_FRAGMENTS + " fragments");
                return false;
            }
            if (continuation.isFinalFragment()) {
                fragments = 0;
            }
        }
        return true;
    }
}
