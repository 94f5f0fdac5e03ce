package dev.chat.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.ChatClient;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A fault of the gateway's own while it takes a send (a bug, not the client's input) still gets the send an answer,
 * with its cid and without internals, and the connection's next frames are handled as usual. Both faults here once
 * left the client waiting for an answer that never came, and its connection stuck on that frame.
 */
@QuarkusTest
class SendFaultsTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Inject
    GatewayConfig config;

    @Inject
    RedisLayout layout;

    @Test
    void aSendWhoseHandlingThrowsBeforeItBecomesAUniIsAnsweredInternal() {
        QuarkusMock.installMockForType(new MessagePublisher(null, null, null, null, null, null, null, null, null) {
            @Override
            public Uni<Accepted> publish(String room, String from, String text, String cid) {
                throw new IllegalStateException("publisher fault for the test");
            }
        }, MessagePublisher.class);
        sendIsAnsweredAndTheConnectionGoesOn("internal");
    }

    @Test
    void aSendInASharedCallThatCannotBeMadeIsAnsweredUnavailableSoTheClientResends() {
        QuarkusMock.installMockForType(new PublishScript(reactiveRedis, config, layout) {
            @Override
            List<String> command(List<Send> sends, String tag) {
                throw new IllegalStateException("call fault for the test");
            }
        }, PublishScript.class);
        sendIsAnsweredAndTheConnectionGoesOn("unavailable");
    }

    private void sendIsAnsweredAndTheConnectionGoesOn(String code) {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "fault-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient client = ChatClient.welcomed(vertx, base, "fault-user")) {
            client.join(room);

            client.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello").put("cid", "c-1"));
            JsonObject error = client.next("error");
            assertEquals(code, error.getString("code"));
            assertEquals("c-1", error.getString("cid"));
            assertFalse(error.encode().contains("IllegalStateException") || error.encode().contains("for the test"),
                    () -> "no internals reach the client: " + error);

            client.send(new JsonObject().put("type", "ping").put("cid", "p-1"));
            assertEquals("p-1", client.next("pong").getString("cid"));
        }
    }
}
