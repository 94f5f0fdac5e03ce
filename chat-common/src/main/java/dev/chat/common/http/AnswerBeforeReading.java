package dev.chat.common.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * One HTTP/1.1 connection's read-ahead. Vert.x reads on: it queues every pipelined request behind the one in progress
 * (walking the whole queue for each new one) and writes every answer whether or not the client reads it. Here, once a
 * whole request has arrived while an earlier one is unanswered, or while 64 KiB of answers wait to be written (Netty's
 * high-water mark), the socket is not read until every request read so far is answered and the answers are out. What
 * one connection makes a service hold is then the requests of one read and their answers; TCP pushes back on the rest,
 * and the idle timeout closes a socket that stays stuck. A client that reads its answers is never stopped for long.
 * Leaves the pipeline when the connection becomes a WebSocket (its endpoint bounds it from then on).
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
        }
        // At a request's end, not its head: a pipelined request's body must still be read for it to be answered.
        if (msg instanceof LastHttpContent && (unanswered > 1 || !ctx.channel().isWritable())) {
            pause(ctx);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        if (msg instanceof HttpResponse head && head.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
            ctx.pipeline().remove(this);
            return;
        }
        // The end of an answer; a 1xx (100 Continue) answers nothing yet.
        if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse head && head.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
            // Never below zero: an answer Vert.x ends twice must not let a later request go uncounted.
            unanswered = Math.max(0, unanswered - 1);
            resumeIfDone(ctx);
        }
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

    /** Vert.x switches the same setting for its own back-pressure (and may have resumed it): set it whatever was noted. */
    private void pause(ChannelHandlerContext ctx) {
        paused = true;
        if (ctx.channel().config().isAutoRead()) {
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
