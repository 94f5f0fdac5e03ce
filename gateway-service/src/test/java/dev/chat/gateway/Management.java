package dev.chat.gateway;

import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.net.URI;

/**
 * Requests to the management interface (health, metrics, OpenAPI), which listens on its own port
 * (quarkus.management.*, a random one in tests), never on the public one.
 */
final class Management {

    private Management() {
    }

    /** A RestAssured request to the management port; paths keep their /q prefix. */
    static RequestSpecification given() {
        return RestAssured.given().baseUri(origin());
    }

    /** scheme://host:port of the running application's management interface. */
    static String origin() {
        if (ManagementPort.port > 0) {
            return "http://localhost:" + ManagementPort.port;
        }
        URI uri = URI.create(TestHTTPResourceManager.getManagementUri());
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }
}
