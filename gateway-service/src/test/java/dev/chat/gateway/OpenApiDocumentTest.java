package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is served on the management port only, lists every REST endpoint, and the copy
 * checked in as openapi.yaml is exactly what the code serves: a changed endpoint fails here until the
 * copy is updated (the test writes the served one to target/openapi.yaml to copy over).
 */
@QuarkusTest
class OpenApiDocumentTest {

    static final Path CHECKED_IN = Path.of("openapi.yaml");
    static final List<String> ENDPOINTS = List.of("/dev/login", "/rooms/{room}/messages", "/rooms/{room}/presence", "/users/{id}/presence");

    @Test
    void theCheckedInDocumentIsTheServedOne() throws IOException {
        String served = normalized(Management.given().get("/q/openapi").then().statusCode(200).extract().asString());
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/openapi.yaml"), served);
        assertTrue(Files.exists(CHECKED_IN), "no " + CHECKED_IN.toAbsolutePath() + ": cp target/openapi.yaml openapi.yaml");
        assertEquals(normalized(Files.readString(CHECKED_IN)), served,
                "openapi.yaml drifted from the code: review target/openapi.yaml and copy it over openapi.yaml");
    }

    @Test
    void everyRestEndpointIsDocumented() {
        String served = Management.given().get("/q/openapi").then().statusCode(200).extract().asString();
        for (String path : ENDPOINTS) {
            assertTrue(served.contains("\n  " + path + ":"), path + " is missing from the OpenAPI document");
        }
    }

    @Test
    void theDocumentIsNotOnThePublicPort() {
        given().get("/q/openapi").then().statusCode(404);
    }

    private static String normalized(String yaml) {
        return yaml.replace("\r\n", "\n").strip() + "\n";
    }
}
