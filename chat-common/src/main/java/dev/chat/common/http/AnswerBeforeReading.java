package dev.chat.common.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * One HTTP/1.1 connection's read-ahead: while a request waits for its answer, or the answers wait unread, the socket is
 * not read. Vert.x reads on: it queues every pipelined request behind the one in progress (walking the whole queue for
 * each new one) and writes every answer whether or not the client reads it. Here what one connection can make a service
 * hold is the requests of one read and 64 KiB of answers (Netty's high-water mark); TCP pushes back on the rest, and the
 * idle timeout closes a socket that stays stuck. A client that reads its answers sees no difference.
 */
final class AnswerBeforeReading extends ChannelDuplexHandler {

    /** Requests read whose answer is not yet complete: the one in progress and those queued behind it. */
    private int unanswered;
    private boolean paused;

    /** Installed while its first request is handled: that one counts. */
    AnswerBeforeReading() {
        unanswered = 1;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            unanswered++;
            if (unanswered > 1 || !ctx.channel().isWritable()) {
                pause(ctx);
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // The end of an answer; a 1xx (100 Continue, 101 Switching Protocols) answers nothing yet.
        if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse head && head.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
            unanswered = Math.max(0, unanswered - 1);
            resumeIfDone(ctx);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        resumeIfDone(ctx);
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (paused) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void pause(ChannelHandlerContext ctx) {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void resumeIfDone(ChannelHandlerContext ctx) {
        if (paused && unanswered == 0 && ctx.channel().isWritable()) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }
}
