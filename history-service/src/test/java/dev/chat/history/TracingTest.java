package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.common.redis.RoomKeys;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With tracing on, the insert that stores a message continues the trace of the gateway's publish: the
 * message's traceparent (written by publish.lua when the gateway traces) is the parent of the
 * "history insert" span, so one send is followed from the gateway into PostgreSQL.
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

    static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PUBLISH_SPAN_ID = "00f067aa0ba902b7";

    @Inject
    RedisDataSource redis;

    @Inject
    InMemorySpanExporter spans;

    @Test
    void theInsertContinuesTheTraceOfThePublish() {
        String room = Gateway.uniqueRoom("traced");
        String plain = Gateway.payload(room, 1, "alice", "follow me", Gateway.ts(1), "c1");
        String traced = plain.substring(0, plain.length() - 1) + ",\"traceparent\":\"00-" + TRACE_ID + "-" + PUBLISH_SPAN_ID + "-01\"}";
        await().atMost(Duration.ofSeconds(30)).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
        redis.execute("XADD", RoomKeys.log(room), "1-0", "m", traced, "t", Long.toString(Gateway.ts(1)));
        redis.execute("SET", RoomKeys.seq(room), "1");
        new Gateway(redis).publishRaw(room, traced);

        SpanData insert = await().atMost(Duration.ofSeconds(30)).until(() -> spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("history insert") && s.getTraceId().equals(TRACE_ID)).findFirst().orElse(null),
                span -> span != null);
        assertEquals(PUBLISH_SPAN_ID, insert.getParentSpanId(), "the insert is a child of the gateway's publish span");
        assertEquals(StatusCode.UNSET, insert.getStatus().getStatusCode(), "the insert succeeded");
    }
}
