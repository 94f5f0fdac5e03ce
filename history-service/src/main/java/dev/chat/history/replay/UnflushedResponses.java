package dev.chat.history.replay;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of answers written on the public port that no client's socket has taken yet, over all connections. An
 * answer is one buffer of up to megabytes (a replay page), and a client that asks and never reads leaves it in the
 * service's memory. Counted where the pipeline meets the socket: a write counts from the moment it is queued until
 * Netty reports it written to the kernel or failed (a closed connection fails what it still held).
 */
@ApplicationScoped
public class UnflushedResponses {

    static final String HANDLER = "chat-unflushed-responses";

    private final AtomicLong bytes = new AtomicLong();
    private final Counting counting = new Counting();

    UnflushedResponses(MeterRegistry registry) {
        Gauge.builder("chat.history.responses.unflushed", bytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of REST answers written but not yet taken by their clients' sockets").register(registry);
    }

    void install(@Observes Router router) {
        // Before any work for the request (just after chat-common's RequestPipelining): an answer of any route counts.
        router.route().order(Integer.MIN_VALUE + 1).handler(context -> {
            count(context.request().connection());
            context.next();
        });
    }

    /** Bytes written to clients and not yet taken by their sockets. */
    public long bytes() {
        return bytes.get();
    }

    private void count(HttpConnection connection) {
        // HTTP/1.1 (the only protocol of the public port) connections are a ConnectionBase.
        if (connection instanceof ConnectionBase socket) {
            ChannelPipeline pipeline = socket.channel().pipeline();
            if (pipeline.get(HANDLER) == null) {
                pipeline.addFirst(HANDLER, counting);
            }
        }
    }

    @Sharable
    private final class Counting extends ChannelOutboundHandlerAdapter {

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            int size = msg instanceof ByteBuf buffer ? buffer.readableBytes() : msg instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
            if (size == 0) {
                ctx.write(msg, promise);
                return;
            }
            bytes.addAndGet(size);
            // Vert.x often writes with the void promise, which takes no listener.
            ChannelPromise written = promise.unvoid();
            written.addListener(done -> bytes.addAndGet(-size));
            ctx.write(msg, written);
        }
    }
}
