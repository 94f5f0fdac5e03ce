package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The probes an orchestrator relies on, on the management port only. */
@QuarkusTest
class HealthTest {

    @Test
    void readinessFollowsRedisThroughTheSubscriberConnectionNotThroughThePoolsQueue() {
        Management.given().when().get("/q/health/ready").then()
                .statusCode(200)
                .body("status", is("UP"))
                .body("checks.name", hasItems("redis-subscriber", "accepting-connections"))
                .body("checks.name", not(hasItem("Redis connection health check")));
    }

    @Test
    void livenessAndStartupAreUp() {
        Management.given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
        Management.given().when().get("/q/health/started").then().statusCode(200).body("status", is("UP"));
    }

    @Test
    void healthAndMetricsAreOnlyOnTheManagementPort() {
        for (String path : new String[] {"/q/health/ready", "/q/health/live", "/q/metrics"}) {
            given().when().get(path).then().statusCode(404);
        }
    }

    @Test
    void metricsArePublishedForPrometheus() {
        Management.given().when().get("/q/metrics").then().statusCode(200);
    }
}
