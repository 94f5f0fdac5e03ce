package dev.chat.gateway.connection;

import io.quarkus.vertx.core.runtime.VertxMDC;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Drops the upgrade request's headers that only a browser's page loads use (cookies, user agent, language,
 * caching and encoding preferences) before the WebSocket is created. The gateway authenticates with the
 * token and reads none of them, but websockets-next and Vert.x keep the upgrade's headers, in three maps,
 * for the connection's life: with a browser's headers (2 KB of cookies) a connection cost 18.1 KiB of heap
 * instead of 14.6 (ConnectionFootprint with FOOTPRINT_BROWSER=1), behind any proxy, and other applications'
 * session cookies stayed in the gateway's memory for hours. The token in {@code Authorization} goes too, once
 * authentication has read it. The rest, which the WebSocket handshake reads, go from Vert.x's map once the connection
 * is open ({@link #release}): websockets-next has its own copy by then, and the gateway reads neither.
 * So does the upgrade's logging MDC (its request id, chat-common's RequestIds): it lives in the request's Vert.x
 * context, which becomes the WebSocket's for the connection's life, and the connection's own lines name its id.
 * The headers that stay are put back with shared strings first ({@link SharedHeaderStrings}): websockets-next's copy
 * keeps the strings it is given.
 */
@ApplicationScoped
public class UpgradeHeaders implements HttpUpgradeCheck {

    /** Read by nothing after the upgrade. Host, Origin and the Sec-WebSocket-* headers stay. */
    static final List<CharSequence> UNREAD = List.of(HttpHeaders.COOKIE, HttpHeaders.USER_AGENT, HttpHeaders.ACCEPT_LANGUAGE,
            HttpHeaders.ACCEPT_ENCODING, HttpHeaders.CACHE_CONTROL, "Pragma");

    /** What {@link #release} lets go of once the connection is open. */
    private record Leftovers(MultiMap headers, Context requestContext) {
    }

    private static final UserData.TypedKey<Leftovers> LEFTOVERS = new UserData.TypedKey<>("chat.upgrade-leftovers");

    private final SharedHeaderStrings strings = new SharedHeaderStrings();

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        MultiMap headers = context.httpRequest().headers();
        UNREAD.forEach(headers::remove);
        strings.share(headers);
        // Only a request's own (duplicated) context: an event loop's root context is every connection's.
        Context requestContext = Vertx.currentContext();
        context.userData().put(LEFTOVERS, new Leftovers(headers, VertxContext.isDuplicatedContext(requestContext) ? requestContext : null));
        // The token (a few hundred bytes) is read once, by authentication; the connection keeps the identity it proved.
        // It goes only once that identity is established, so an authentication that runs late still finds it; a failed
        // one leaves the request as it came, for the security check to refuse.
        return context.securityIdentity().onItemOrFailure().transform((identity, failure) -> {
            if (failure == null) {
                headers.remove(HttpHeaders.AUTHORIZATION);
            }
            return CheckResult.permitUpgradeSync();
        });
    }

    /**
     * Once the connection is open, empties the upgrade's header map, which Vert.x's WebSocket keeps for the
     * connection's life (about 0.6 KB): the handshake has read it, and websockets-next copied it into the connection's
     * handshake request. And drops the upgrade's MDC map from the request's context (about 0.2 KB): Quarkus keeps it
     * there under its VertxMDC class name (VertxMDC.clearVertxMdcFromContext, not public, does the same).
     */
    static void release(UserData userData) {
        Leftovers leftovers = userData.remove(LEFTOVERS);
        if (leftovers != null) {
            leftovers.headers().clear();
            if (leftovers.requestContext() != null) {
                leftovers.requestContext().removeLocal(VertxMDC.class.getName());
            }
        }
    }
}
