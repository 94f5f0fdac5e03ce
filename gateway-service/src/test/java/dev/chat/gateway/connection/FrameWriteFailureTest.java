package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.common.http.RequestPipelining;
import dev.chat.gateway.ChatClient;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A frame of the connection's own (an answer, an ack, the welcome) that cannot be written to a socket still open
 * closes the connection with 1011: the client reconnects and recovers, instead of waiting for the answer forever while
 * the gateway says nothing.
 */
@QuarkusTest
class FrameWriteFailureTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    ChatSessions sessions;

    @Test
    void anAnswerThatCannotBeWrittenClosesTheConnectionWith1011() {
        try (ChatClient client = ChatClient.welcomed(vertx, base, "unwritable-answer")) {
            ChatSession session = sessions.all().stream().filter(s -> s.user().equals("unwritable-answer")).findFirst()
                    .orElseThrow();
            // Between the session's writes and the socket: fails the write of the answer, as a broken encoder would.
            session.pipeline().addBefore(RequestPipelining.VERTX_HANDLER, "fails-the-pong", new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                    if (msg instanceof TextWebSocketFrame text && text.text().contains("\"pong\"")) {
                        text.release();
                        promise.setFailure(new IOException("refused by the test"));
                        return;
                    }
                    ctx.write(msg, promise);
                }
            });

            client.send(new JsonObject().put("type", "ping"));

            await().atMost(Duration.ofSeconds(10)).until(client::isClosed);
            assertEquals(1011, client.closeCode());
        }
    }
}
