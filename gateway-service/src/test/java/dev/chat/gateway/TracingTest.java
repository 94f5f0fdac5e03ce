package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * With tracing on, a send makes a "chat publish" span, and the message that Redis logs and publishes
 * carries that span's W3C traceparent, from which the history service continues the trace; clients
 * see it as an optional field. Tracing is off by default (quarkus.otel.sdk.disabled=true).
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class TracingTest {

    public static class TracingOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.bsp.schedule.delay", "50ms");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    InMemorySpanExporter spans;

    @Test
    void aSendIsTracedIntoTheMessage() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "traced-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = ChatClient.connect(vertx, base, Tokens.forUser("alice"))) {
            alice.next("welcome");
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "follow me").put("cid", "t-1"));
            alice.next("ack");
            JsonObject delivered = alice.next("message");

            SpanData publish = await().atMost(Duration.ofSeconds(20)).until(
                    () -> spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("chat publish")
                            && room.equals(s.getAttributes().asMap().entrySet().stream().filter(e -> e.getKey().getKey().equals("chat.room"))
                                    .map(e -> String.valueOf(e.getValue())).findFirst().orElse(null))).findFirst().orElse(null),
                    span -> span != null);
            String expected = "00-" + publish.getTraceId() + "-" + publish.getSpanId() + "-01";
            assertEquals(expected, delivered.getString("traceparent"), "the delivered message carries the publish span");
            String logged = redis.execute("XRANGE", RoomKeys.log(room), "-", "+").get(0).get(1).get(1).toString();
            assertTrue(logged.contains("\"traceparent\":\"" + expected + "\""), "the recent log entry carries it: " + logged);
        }
    }
}
