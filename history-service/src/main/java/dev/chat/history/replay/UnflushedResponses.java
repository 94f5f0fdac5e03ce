package dev.chat.history.replay;

import dev.chat.common.http.RequestPipelining;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The answers of the public port that their clients' sockets have not taken yet. An answer is one buffer of up to
 * megabytes (a replay page), and a client that asks and never reads leaves it in the service's memory. Counts their
 * bytes over all connections (from the write until Netty reports it taken by the kernel, or failed: a closed connection
 * fails what it still held), and tells when the answer of a connection's request in progress is taken.
 */
@ApplicationScoped
public class UnflushedResponses {

    static final String HANDLER = "chat-unflushed-responses";

    private final AtomicLong bytes = new AtomicLong();

    UnflushedResponses(MeterRegistry registry) {
        Gauge.builder("chat.history.responses.unflushed", bytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of REST answers written but not yet taken by their clients' sockets").register(registry);
    }

    void install(@Observes Router router) {
        // Before any work for the request (just after chat-common's RequestPipelining): an answer of any route counts.
        router.route().order(Integer.MIN_VALUE + 1).handler(context -> {
            counting(context.request().connection());
            context.next();
        });
    }

    /** Bytes written to clients and not yet taken by their sockets. */
    public long bytes() {
        return bytes.get();
    }

    /**
     * Runs {@code action} once the answer to the request now in progress on {@code connection} is taken by its socket, or
     * the connection is gone. Call it on the connection's event loop before the answer is written; Vert.x answers a
     * connection's requests one at a time, so the next answer to end is this one's.
     */
    public void whenAnswered(HttpConnection connection, Runnable action) {
        Counting counting = counting(connection);
        if (counting == null) {
            action.run();
        } else if (counting.loop.inEventLoop()) {
            counting.awaitingAnswer.add(action);
        } else {
            counting.loop.execute(() -> counting.awaitingAnswer.add(action));
        }
    }

    private Counting counting(HttpConnection connection) {
        // HTTP/1.1 (the only protocol of the public port) connections are a ConnectionBase.
        if (!(connection instanceof ConnectionBase socket)) {
            return null;
        }
        ChannelPipeline pipeline = socket.channel().pipeline();
        Counting counting = (Counting) pipeline.get(HANDLER);
        if (counting == null && pipeline.get(RequestPipelining.VERTX_HANDLER) != null) {
            // Next to Vert.x's handler, where an answer's end is still a message of its own; its bytes count until the
            // encoded buffers are written, as the encoder hands each message's promise on.
            counting = new Counting(socket.channel().eventLoop());
            pipeline.addBefore(RequestPipelining.VERTX_HANDLER, HANDLER, counting);
        }
        return counting;
    }

    /** One connection's: its bytes in the shared count, and what waits for its current answer to be taken. */
    private final class Counting extends ChannelDuplexHandler {

        private final EventExecutor loop;
        /** Registered and run on the connection's event loop; one entry per request in progress. */
        private final List<Runnable> awaitingAnswer = new ArrayList<>(1);

        Counting(EventExecutor loop) {
            this.loop = loop;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            int size = msg instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
            boolean answerEnds = msg instanceof LastHttpContent
                    && !(msg instanceof HttpResponse head && head.status().codeClass() == HttpStatusClass.INFORMATIONAL)
                    && !awaitingAnswer.isEmpty();
            if (size == 0 && !answerEnds) {
                ctx.write(msg, promise);
                return;
            }
            bytes.addAndGet(size);
            List<Runnable> answered = answerEnds ? List.copyOf(awaitingAnswer) : List.of();
            if (answerEnds) {
                awaitingAnswer.clear();
            }
            // Vert.x often writes with the void promise, which takes no listener.
            ChannelPromise written = promise.unvoid();
            written.addListener(done -> {
                bytes.addAndGet(-size);
                answered.forEach(Runnable::run);
            });
            ctx.write(msg, written);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            runAwaiting();
            ctx.fireChannelInactive();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            runAwaiting();
        }

        private void runAwaiting() {
            List<Runnable> left = List.copyOf(awaitingAnswer);
            awaitingAnswer.clear();
            left.forEach(Runnable::run);
        }
    }
}
