package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.ChatClient;
import dev.chat.gateway.Tokens;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A drained client reads {@code reconnect} before its 1012, however its last frame in flight races the drain: the
 * frame may finish on the socket's own event loop just as the shutdown thread tells the client to go.
 */
@QuarkusTest
class DrainOrderTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    ChatSessions sessions;

    @Inject
    FrameCodec codec;

    @Inject
    GatewayDrain drain;

    @Test
    void reconnectComesBeforeTheCloseWhenTheLastFrameInFlightFinishesOnTheSocketsLoopDuringTheDrain() throws Exception {
        try (ChatClient writer = ChatClient.connect(vertx, base, Tokens.forUser("drained-writer"))) {
            writer.next("welcome");
            ChatSession session = sessions.all().stream().filter(s -> s.user().equals("drained-writer")).findFirst()
                    .orElseThrow();
            // A frame of the client's is being handled; its answer completes on the socket's loop, which is busy until
            // the drain has been started from another thread (as the shutdown thread does).
            session.frameStarted();
            CountDownLatch loopBusy = new CountDownLatch(1);
            CountDownLatch drainStarted = new CountDownLatch(1);
            session.eventLoop().execute(() -> {
                loopBusy.countDown();
                try {
                    drainStarted.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                session.frameFinished();
            });
            assertTrue(loopBusy.await(10, TimeUnit.SECONDS));

            drain.tell(session, codec.encode(new ServerFrame.Reconnect("shutdown")));
            drainStarted.countDown();

            JsonObject told = writer.next("reconnect");
            assertEquals("shutdown", told.getString("reason"));
            await().atMost(Duration.ofSeconds(10)).until(writer::isClosed);
            assertEquals(ChatSession.SERVICE_RESTART, writer.closeCode());
        }
    }
}
