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

/** Health and metrics are open, and readiness names every dependency history needs. */
@QuarkusTest
class HealthTest {

    private static final List<String> READY_CHECKS = List.of("redis-subscriber", "reseed", "ingest",
            "Redis connection health check", "Reactive PostgreSQL connections health check");

    @Test
    void readinessListsTheNamedChecksUp() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonPath ready = given().get("/q/health/ready").then().extract().jsonPath();
            for (String check : READY_CHECKS) {
                assertEquals("UP", ready.getString("checks.find { it.name == '" + check + "' }.status"), check);
            }
            assertEquals("UP", ready.getString("status"));
        });
    }

    @Test
    void livenessAndStartupAreUp() {
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void metricsAreExposed() {
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("chat_history_ingested_total"))
                .body(containsString("chat_history_backfilled_total"))
                .body(containsString("chat_history_ingest_pending"))
                .body(containsString("chat_history_ingest_lag"));
    }
}
