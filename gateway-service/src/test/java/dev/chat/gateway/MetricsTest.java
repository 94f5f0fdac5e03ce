package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** After real traffic, /q/metrics shows it with plausible values. */
@QuarkusTest
class MetricsTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void trafficShowsUpInThePrometheusMetrics() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        try (ChatClient alice = ChatClient.connect(vertx, base, Tokens.forUser("alice"))) {
            alice.next("welcome");
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            for (int i = 0; i < 3; i++) {
                alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "m" + i).put("cid", "m" + i));
                alice.next("ack");
                alice.next("message");
            }
            String metrics = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
            assertTrue(value(metrics, "chat_gateway_connections") >= 1, "open connections");
            assertTrue(value(metrics, "chat_gateway_rooms") >= 1, "joined rooms");
            assertTrue(value(metrics, "chat_gateway_redis_subscriptions") >= 2, "room and user channels");
            assertTrue(value(metrics, "chat_gateway_messages_accepted_total") >= 3, "messages in");
            assertTrue(value(metrics, "chat_gateway_frames_received_total") >= 4, "frames in");
            assertTrue(value(metrics, "chat_gateway_frames_sent_total") >= 7, "deliveries out");
            assertTrue(value(metrics, "chat_gateway_publish_latency_seconds_count") >= 3, "publish latency histogram");
            assertTrue(metrics.contains("chat_gateway_publish_latency_seconds_bucket"), "with buckets");
            assertTrue(value(metrics, "chat_gateway_fanout_latency_seconds_count") >= 3, "fan-out latency");
            assertTrue(metrics.contains("chat_gateway_slow_consumer_closes_total"));
            assertTrue(metrics.contains("chat_gateway_rate_limited_total"));
            assertTrue(metrics.contains("chat_gateway_gap_fills_total"));
            // Open sockets are counted, but no connection holds a timer sample of its own (ConnectionDurationTimer).
            assertTrue(value(metrics, "http_server_active_connections") >= 1, "open HTTP connections");
            assertFalse(metrics.contains("http_server_connections_seconds"), "no long-task timer of connection durations");
        }
    }

    @Test
    void aPresenceFlushThatReadsTheWholeRoomIsCounted() {
        String room = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        // An entry of a gateway still on the presence script before the index (a rolling upgrade).
        redis.execute("ZADD", RoomKeys.presence(room), Long.toString(System.currentTimeMillis() + 60_000), "carol|old-gateway");
        double before = value(Management.given().get("/q/metrics").then().statusCode(200).extract().asString(),
                "chat_gateway_presence_room_reads_total");
        try (ChatClient alice = ChatClient.connect(vertx, base, Tokens.forUser("alice"))) {
            alice.next("welcome");
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            await().atMost(Duration.ofSeconds(10)).until(() -> value(Management.given().get("/q/metrics").then().statusCode(200).extract()
                    .asString(), "chat_gateway_presence_room_reads_total") > before);
        }
    }

    static double value(String metrics, String name) {
        Matcher matcher = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
        double total = 0;
        boolean found = false;
        while (matcher.find()) {
            total += Double.parseDouble(matcher.group(2));
            found = true;
        }
        assertTrue(found, name + " is missing");
        return total;
    }
}
