package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.chat.common.logging.RequestIds;
import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.connection.ChatEndpoint;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.core.runtime.VertxMDC;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.core.ConditionTimeoutException;
import org.jboss.logging.MDC;
import org.junit.jupiter.api.Test;

/**
 * An open connection does not hold on to the HTTP request it was upgraded from: its routing context and its request
 * are collected, the header map Vert.x's WebSocket keeps is emptied, and the upgrade's logging MDC (its request id)
 * leaves the request's context, which Vert.x's WebSocket keeps, while the connection stays open and served. Only the
 * user and the token's expiry outlive the upgrade (Vert.x's WebSocket still keeps the URI and the query).
 */
@QuarkusTest
class UpgradeReleaseTest {

    /** Watches the upgrades that ask for it with {@code watch=1} in their query. */
    @ApplicationScoped
    static class UpgradeWatch {

        static volatile WeakReference<RoutingContext> context;
        static volatile WeakReference<HttpServerRequest> request;
        static volatile MultiMap headers;
        /** The request's own context, which Vert.x's WebSocket keeps as its context. */
        static volatile Context requestContext;
        /** The request id in the MDC while the upgrade was served. */
        static volatile String requestId;
        /** Whether the endpoint's route ran on an event loop, where Vert.x creates the WebSocket. */
        static volatile Boolean onEventLoop;

        void install(@Observes Router router) {
            router.route(ChatEndpoint.PATH).order(Integer.MIN_VALUE).handler(upgrade -> {
                if (watched(upgrade)) {
                    context = new WeakReference<>(upgrade);
                    request = new WeakReference<>(upgrade.request());
                    headers = upgrade.request().headers();
                }
                upgrade.next();
            });
            // Right after UpgradeIdentity's route (order -1), which hands the request on to this one.
            router.route(ChatEndpoint.PATH).order(0).handler(upgrade -> {
                if (watched(upgrade)) {
                    onEventLoop = Context.isOnEventLoopThread();
                    requestContext = Vertx.currentContext();
                    requestId = (String) MDC.get(RequestIds.MDC_KEY);
                }
                upgrade.next();
            });
        }

        private static boolean watched(RoutingContext upgrade) {
            return upgrade.request().query() != null && upgrade.request().query().contains("watch=1");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void theUpgradeRequestIsReleasedWhileItsConnectionStaysOpen() {
        // Redis holds its generation marker (history sets it): without one, the join below is answered `unavailable`.
        redis.execute("SET", RoomKeys.GENERATION, "test", "NX");
        UpgradeWatch.context = null;
        UpgradeWatch.onEventLoop = null;
        UpgradeWatch.requestContext = null;
        UpgradeWatch.requestId = null;
        try (ChatClient erin = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("release-erin") + "&watch=1")) {
            assertEquals("release-erin", erin.next("welcome").getString("user"));
            WeakReference<RoutingContext> context = UpgradeWatch.context;
            WeakReference<HttpServerRequest> request = UpgradeWatch.request;
            assertNotNull(context, "the watch saw the upgrade");
            assertEquals(Boolean.TRUE, UpgradeWatch.onEventLoop, "the upgrade went on from its event loop");
            // The handshake has read them and websockets-next keeps its own copy: the one Vert.x keeps is emptied.
            assertTrue(UpgradeWatch.headers.isEmpty(), "the upgrade's headers: " + UpgradeWatch.headers);
            // Logged with its request id while upgrading; the open connection's context keeps no MDC map.
            assertNotNull(UpgradeWatch.requestId, "the upgrade's MDC request id");
            assertNull(UpgradeWatch.requestContext.getLocal(VertxMDC.class.getName()), "the request context's MDC map");
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    System.gc();
                    return context.get() == null && request.get() == null;
                });
            } catch (ConditionTimeoutException stillReachable) {
                // The dump's paths from the GC roots show what holds it.
                throw new AssertionError("the upgrade's routing context or request is still reachable after 20 s of GCs; the paths"
                        + " from the GC roots to " + RoutingContext.class.getName() + " in " + heapDump() + " show what holds it",
                        stillReachable);
            }
            assertNull(erin.closeCode());
            erin.send(new JsonObject().put("type", "join").put("room", "release-room").put("cid", "after"));
            assertEquals("joined", erin.next("joined").getString("type"));
        }
    }

    /** Writes this JVM's live objects to target/ and returns the file, or why it could not. */
    static String heapDump() {
        Path file = Path.of("target", "upgrade-release-" + System.currentTimeMillis() + ".hprof").toAbsolutePath();
        try {
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(file.toString(), true);
            return file.toString();
        } catch (IOException | RuntimeException e) {
            return "(no heap dump: " + e + ")";
        }
    }
}
