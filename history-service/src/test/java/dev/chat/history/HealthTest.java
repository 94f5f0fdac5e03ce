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
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Health and metrics are open. Readiness means "can serve reads": PostgreSQL only. Ingest's dependencies (the Redis
 * subscriber, re-seeding, writes) have a group of their own and metrics, so their trouble never takes the replay API
 * out of the Service.
 */
@QuarkusTest
class HealthTest {

    /** The reactive pool (reads) and the JDBC one (Flyway): both PostgreSQL. */
    private static final List<String> READY_CHECKS = List.of("Reactive PostgreSQL connections health check", "Database connections health check",
            "redis-memory-policy");
    private static final List<String> INGEST_CHECKS = List.of("redis-subscriber", "reseed", "ingest");

    @Test
    void readinessIsPostgresOnly() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonPath ready = Management.given().get("/q/health/ready").then().extract().jsonPath();
            assertEquals(Set.copyOf(READY_CHECKS), Set.copyOf(ready.getList("checks.name")));
            assertEquals("UP", ready.getString("status"));
        });
    }

    @Test
    void ingestGroupListsTheNamedChecksUp() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonPath ingest = Management.given().get("/q/health/group/ingest").then().extract().jsonPath();
            for (String check : INGEST_CHECKS) {
                assertEquals("UP", ingest.getString("checks.find { it.name == '" + check + "' }.status"), check);
            }
            assertEquals("UP", ingest.getString("status"));
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
                .body(containsString("chat_history_ingest_lag"))
                .body(containsString("chat_history_ingest_failing"))
                .body(containsString("chat_history_ingest_conflicts_total"))
                .body(containsString("chat_history_ingest_dead_lettered_total"))
                .body(containsString("chat_history_subscriber_up"))
                .body(containsString("chat_history_reseed_waiting"));
    }
}
