package dev.chat.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.ChatClient;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A shared publish call that cannot even be built (a fault of the gateway's own, before anything reaches Redis) fails
 * its sends instead of forgetting them: each client is told {@code unavailable} with its cid, to resend, and its
 * connection's next frames are handled as usual.
 */
@QuarkusTest
class CallBuildFaultTest {

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

    @BeforeEach
    void aScriptWhoseCallCannotBeBuilt() {
        QuarkusMock.installMockForType(new PublishScript(reactiveRedis, config, layout) {
            @Override
            List<String> command(List<Send> sends, String tag) {
                throw new IllegalStateException("call build fault for the test");
            }
        }, PublishScript.class);
    }

    @Test
    void aSendInACallThatCannotBeBuiltIsAnsweredUnavailableWithItsCid() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "callfault-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient client = ChatClient.welcomed(vertx, base, "callfault-user")) {
            client.join(room);

            client.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello").put("cid", "c-1"));
            JsonObject error = client.next("error");
            assertEquals("unavailable", error.getString("code"));
            assertEquals("c-1", error.getString("cid"));

            client.send(new JsonObject().put("type", "ping").put("cid", "p-1"));
            assertEquals("p-1", client.next("pong").getString("cid"));
        }
    }
}
