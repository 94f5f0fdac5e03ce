package dev.chat.gateway.connection;

import dev.chat.common.http.RequestPipelining;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;

/**
 * A connection's WebSocket pings and pongs, taken from its socket before Vert.x sees them. Vert.x answers every ping
 * at once and without bound: a client that sends pings and never reads parks their pongs in the gateway's memory (one
 * such client took a 256 MB gateway to OutOfMemoryError within seconds). Here both count against the connection's ping
 * rate, where a refusal is a strike toward the abuse close (1008), and a pong goes through the session's outbound
 * bound like every frame (1013 past it). RFC 6455 lets an endpoint leave all but the latest of several pings
 * unanswered; a client within its rate gets every pong.
 */
final class ControlFrames extends ChannelInboundHandlerAdapter {

    private static final String NAME = "chat-control-frames";

    private final ChatSession session;
    private final LimitPolicy limits;

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
            ctx.fireChannelRead(msg);
        }
    }
}
