package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Every response carries the request id its log lines carry (chat-common: RequestIds). */
@QuarkusTest
class RequestIdTest {

    @Test
    void aSaneRequestIdFromTheCallerIsKept() {
        given().header("X-Request-Id", "lb-4f2a.7").get("/index.html").then()
                .statusCode(200).header("X-Request-Id", equalTo("lb-4f2a.7"));
    }

    @Test
    void aMissingOrOddRequestIdIsReplacedByANewOne() {
        given().get("/index.html").then().header("X-Request-Id", matchesPattern("[0-9a-f]{1,16}"));
        given().header("X-Request-Id", "not {a} sane id").get("/index.html").then()
                .header("X-Request-Id", matchesPattern("[0-9a-f]{1,16}"));
    }
}
