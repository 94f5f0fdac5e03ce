package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Health and metrics are open on the management port only, and readiness names every dependency history needs. */
@QuarkusTest
class HealthTest {

    private static final List<String> READY_CHECKS = List.of("redis-subscriber", "reseed", "ingest",
            "Redis connection health check", "Reactive PostgreSQL connections health check");

    @Test
    void readinessListsTheNamedChecksUp() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonPath ready = Management.given().get("/q/health/ready").then().extract().jsonPath();
            for (String check : READY_CHECKS) {
                assertEquals("UP", ready.getString("checks.find { it.name == '" + check + "' }.status"), check);
            }
            assertEquals("UP", ready.getString("status"));
        });
    }

    @Test
    void livenessAndStartupAreUp() {
        Management.given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        Management.given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void healthAndMetricsAreOnlyOnTheManagementPort() {
        for (String path : new String[] {"/q/health/ready", "/q/health/live", "/q/metrics"}) {
            given().get(path).then().statusCode(404);
        }
    }

    @Test
    void metricsAreExposed() {
        Management.given().get("/q/metrics").then().statusCode(200)
                .body(containsString("chat_history_ingested_total"))
                .body(containsString("chat_history_backfilled_total"))
                .body(containsString("chat_history_ingest_pending"))
                .body(containsString("chat_history_ingest_lag"));
    }
}
