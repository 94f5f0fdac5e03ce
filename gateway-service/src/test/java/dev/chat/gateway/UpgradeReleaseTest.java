package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An open connection does not hold on to the HTTP request it was upgraded from (its routing context, its headers):
 * only the user and the token's expiry outlive the upgrade. Checked from the outside: the upgrade's routing context is
 * collected, and the header map Vert.x's WebSocket keeps is emptied, while the connection stays open and served.
 */
@QuarkusTest
class UpgradeReleaseTest {

    /** Watches the upgrades that ask for it with {@code ?watch=1}: a weak reference to the routing context, the header map. */
    @ApplicationScoped
    static class UpgradeWatch {

        static final AtomicReference<WeakReference<RoutingContext>> LAST = new AtomicReference<>();
        static final AtomicReference<MultiMap> HEADERS = new AtomicReference<>();

        void install(@Observes Router router) {
            router.route("/chat").order(Integer.MIN_VALUE).handler(context -> {
                if ("1".equals(context.request().getParam("watch"))) {
                    LAST.set(new WeakReference<>(context));
                    HEADERS.set(context.request().headers());
                }
                context.next();
            });
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Test
    void theUpgradeRequestIsReleasedWhileItsConnectionStaysOpen() {
        UpgradeWatch.LAST.set(null);
        try (ChatClient erin = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("release-erin") + "&watch=1")) {
            assertEquals("release-erin", erin.next("welcome").getString("user"));
            WeakReference<RoutingContext> upgrade = UpgradeWatch.LAST.get();
            assertNotNull(upgrade, "the watch saw the upgrade");
            // The handshake has read them and websockets-next keeps its own copy: the one Vert.x keeps is emptied.
            assertTrue(UpgradeWatch.HEADERS.get().isEmpty(), "the upgrade's headers: " + UpgradeWatch.HEADERS.get());
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                System.gc();
                return upgrade.get() == null;
            });
            assertNull(erin.closeCode());
            erin.send(new JsonObject().put("type", "join").put("room", "release-room").put("cid", "after"));
            assertEquals("joined", erin.next("joined").getString("type"));
        }
    }
}
