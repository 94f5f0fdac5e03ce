package dev.chat.common.http;

import io.netty.channel.ChannelPipeline;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Bounds what a client's pipelined requests can make a service hold ({@link AnswerBeforeReading}). Measured before it:
 * one socket that sent requests for a path that does not exist (no token needed) and never read left a gateway holding
 * 420,000 unread answers after 30 s (84 MB of heap and more of direct memory); one that pipelined requests answered on a
 * worker thread left 47,000 requests queued after 9 s. Installed on each connection by its first request.
 */
@ApplicationScoped
public class RequestPipelining {

    /** Vert.x's own handler at the end of each connection's pipeline (its documented place for handlers of one's own). */
    public static final String VERTX_HANDLER = "handler";
    static final String HANDLER = "chat-answer-before-reading";

    void install(@Observes Router router) {
        // Before authentication (ordered later): the bound is in place before any work for the request.
        router.route().order(Integer.MIN_VALUE).handler(context -> {
            bound(context.request().connection());
            context.next();
        });
    }

    static void bound(HttpConnection connection) {
        // HTTP/1.1 (the only protocol of the services' public ports) connections are a ConnectionBase.
        if (connection instanceof ConnectionBase socket) {
            ChannelPipeline pipeline = socket.channel().pipeline();
            if (pipeline.get(HANDLER) == null && pipeline.get(VERTX_HANDLER) != null) {
                pipeline.addBefore(VERTX_HANDLER, HANDLER, new AnswerBeforeReading());
            }
        }
    }
}
