package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.HandshakeRequest;
import io.quarkus.websockets.next.OpenConnections;
import io.quarkus.websockets.next.WebSocketConnection;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * websockets-next keeps a copy of each connection's upgrade headers for the connection's life. The names, and the values
 * that are the same on every connection, are one shared instance across connections instead of a fresh copy per
 * connection; the values that differ per upgrade, such as the handshake's key, stay each connection's own.
 */
@QuarkusTest
class UpgradeHeaderSharingTest {

    private static final List<String> REPEATING = List.of("host", "upgrade", "connection", "sec-websocket-version");

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    OpenConnections connections;

    @Test
    void connectionsShareTheirHeaderNamesAndRepeatingValues() {
        try (ChatClient ada = ChatClient.welcomed(vertx, base, "sharing-ada");
                ChatClient bob = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("sharing-bob"))) {
            assertEquals("sharing-bob", bob.next("welcome").getString("user"));
            List<HandshakeRequest> upgrades = connections.listAll().stream().map(WebSocketConnection::handshakeRequest).toList();
            assertTrue(upgrades.size() >= 2, "open connections: " + upgrades.size());
            HandshakeRequest first = upgrades.get(0);
            for (HandshakeRequest other : upgrades.subList(1, upgrades.size())) {
                for (String name : REPEATING) {
                    assertNotNull(first.header(name), name + " in " + first.headers());
                    assertSame(first.header(name), other.header(name), "the value of " + name);
                    assertSame(key(first, name), key(other, name), "the name " + name);
                }
                assertNotEquals(first.header("sec-websocket-key"), other.header("sec-websocket-key"), "each upgrade's own key");
            }
        }
    }

    private static String key(HandshakeRequest upgrade, String name) {
        return upgrade.headers().keySet().stream().filter(name::equals).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + upgrade.headers()));
    }
}
