package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * With tracing off (the default), a message carries no traceparent: neither what members receive nor what
 * the recent log keeps. Quarkus keeps a sampling tracer even with its SDK disabled, so a span made from it
 * would put a real one in every message.
 */
@QuarkusTest
class TracingOffTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aMessageCarriesNoTraceparentWhenTracingIsOff() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "untraced-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = ChatClient.connect(vertx, base, Tokens.forUser("alice"))) {
            alice.next("welcome");
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "no trace").put("cid", "u-1"));
            alice.next("ack");
            JsonObject delivered = alice.next("message");
            assertNull(delivered.getString("traceparent"), "delivered: " + delivered);
            String logged = redis.execute("XRANGE", RoomKeys.log(room), "-", "+").get(0).get(1).get(1).toString();
            assertFalse(logged.contains("traceparent"), "the recent log entry: " + logged);
        }
    }
}
