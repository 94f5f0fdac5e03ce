package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.chat.gateway.connection.ChatSession;
import dev.chat.gateway.connection.ChatSessions;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.HandshakeRequest;
import io.quarkus.websockets.next.OpenConnections;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * websockets-next keeps a copy of each connection's upgrade headers for the connection's life. The names, and the values
 * that are the same on every connection, are one shared instance across connections instead of a fresh copy per
 * connection (SharedHeaderStringsTest: what stays each connection's own, and the bound).
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

    @Inject
    ChatSessions sessions;

    @Test
    void connectionsShareTheirHeaderNamesAndRepeatingValues() {
        try (ChatClient ada = ChatClient.welcomed(vertx, base, "sharing-ada");
                ChatClient bob = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("sharing-bob"))) {
            assertEquals("sharing-bob", bob.next("welcome").getString("user"));
            HandshakeRequest first = upgradeOf("sharing-ada");
            HandshakeRequest second = upgradeOf("sharing-bob");
            for (String name : REPEATING) {
                assertNotNull(first.header(name), name + " in " + first.headers());
                assertSame(first.header(name), second.header(name), "the value of " + name);
                assertSame(key(first, name), key(second, name), "the name " + name);
            }
        }
    }

    /** The handshake request websockets-next keeps for the (one) open connection of {@code user}. */
    private HandshakeRequest upgradeOf(String user) {
        List<ChatSession> open = sessions.all().stream().filter(session -> user.equals(session.user())).toList();
        assertEquals(1, open.size(), "open sessions of " + user);
        return connections.findByConnectionId(open.get(0).id()).orElseThrow().handshakeRequest();
    }

    private static String key(HandshakeRequest upgrade, String name) {
        return upgrade.headers().keySet().stream().filter(name::equals).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + upgrade.headers()));
    }
}
