package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.chat.gateway.ChatClient;
import dev.chat.gateway.publish.Accepted;
import dev.chat.gateway.publish.MessagePublisher;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fault inside the gateway while it handles a frame (a bug, not the client's input) still gets the frame an answer:
 * {@code internal} with the frame's cid and no stack trace, and the connection goes on. Here the publisher throws
 * before it returns a Uni, the case that used to leave the client waiting for an answer that never came.
 */
@QuarkusTest
class HandlingFaultTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @BeforeEach
    void aPublisherThatThrowsAtOnce() {
        QuarkusMock.installMockForType(new MessagePublisher(null, null, null, null, null, null, null, null, null) {
            @Override
            public Uni<Accepted> publish(String room, String from, String text, String cid) {
                throw new IllegalStateException("publisher fault for the test");
            }
        }, MessagePublisher.class);
    }

    @Test
    void aSendWhoseHandlingThrowsIsAnsweredInternalWithItsCidAndTheConnectionGoesOn() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "fault-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient client = ChatClient.welcomed(vertx, base, "fault-user")) {
            client.join(room);

            client.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello").put("cid", "c-1"));
            JsonObject error = client.next("error");
            assertEquals("internal", error.getString("code"));
            assertEquals("c-1", error.getString("cid"));
            assertFalse(error.encode().contains("IllegalStateException") || error.encode().contains("publisher fault"),
                    () -> "no internals reach the client: " + error);

            // The next frame is handled as usual: the fault held nothing up.
            client.send(new JsonObject().put("type", "ping").put("cid", "p-1"));
            assertEquals("p-1", client.next("pong").getString("cid"));
        }
    }
}
