package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.gateway.ChatClient;
import dev.chat.gateway.Tokens;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md makes {@code welcome} the first frame. A user's first connection here waits for its online status to be
 * written before the welcome, while its direct messages are already routed to it: one that comes meanwhile reaches the
 * client right after the welcome, not before it.
 */
@QuarkusTest
class WelcomeFirstTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ChatSessions sessions;

    @Test
    void aFrameForTheClientBeforeItsWelcomeFollowsTheWelcome() {
        String user = "welcome-" + UUID.randomUUID().toString().substring(0, 8);
        String direct = new JsonObject().put("type", "message").put("room", "dm:" + user + ":zed").put("seq", 1)
                .put("from", "zed").put("text", "early").put("ts", System.currentTimeMillis()).encode();
        ChatClient client;
        // Redis holds the online write (a script) while the connection opens; reads and subscriptions still go through.
        redis.execute("CLIENT", "PAUSE", "10000", "WRITE");
        try {
            client = ChatClient.connect(vertx, base, Tokens.forUser(user));
            ChatSession session = await().atMost(Duration.ofSeconds(5))
                    .until(() -> sessions.all().stream().filter(s -> s.user().equals(user)).findFirst().orElse(null),
                            found -> found != null);
            // What DirectDelivery does for a direct message routed to the user while the welcome waits.
            session.send(direct);
        } finally {
            redis.execute("CLIENT", "UNPAUSE");
        }
        try (client) {
            assertEquals("welcome", client.next().getString("type"));
            JsonObject second = client.next();
            assertEquals("message", second.getString("type"));
            assertEquals("early", second.getString("text"));
        }
    }
}
