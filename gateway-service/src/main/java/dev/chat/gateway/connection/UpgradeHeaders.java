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
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
 * websockets-next's copy keeps the strings it is given, a fresh pair per header from the HTTP decoder: the names, and
 * the values that are the same on every connection (host, origin, upgrade, version), are replaced by one shared
 * instance each first ({@link #share}), so that only the handshake's key and the few values that differ per client
 * stay per connection.
 */
@ApplicationScoped
public class UpgradeHeaders implements HttpUpgradeCheck {

    /** Read by nothing after the upgrade. Host, Origin and the Sec-WebSocket-* headers stay. */
    static final List<CharSequence> UNREAD = List.of(HttpHeaders.COOKIE, HttpHeaders.USER_AGENT, HttpHeaders.ACCEPT_LANGUAGE,
            HttpHeaders.ACCEPT_ENCODING, HttpHeaders.CACHE_CONTROL, "Pragma");

    /**
     * Headers whose values repeat from one connection to the next. Sec-WebSocket-Key is unique per upgrade, and so are
     * forwarding headers such as X-Forwarded-For: sharing those would only fill the JVM's string table.
     */
    static final Set<String> REPEATING = Set.of("host", "origin", "upgrade", "connection", "sec-websocket-version",
            "sec-websocket-extensions", "sec-websocket-protocol", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port");

    /** What {@link #release} lets go of once the connection is open. */
    private record Leftovers(MultiMap headers, Context requestContext) {
    }

    private static final UserData.TypedKey<Leftovers> LEFTOVERS = new UserData.TypedKey<>("chat.upgrade-leftovers");

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        MultiMap headers = context.httpRequest().headers();
        UNREAD.forEach(headers::remove);
        share(headers);
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
     * Puts the header names, and the values of {@link #REPEATING} headers, back as shared instances, in their order.
     * String.intern's table holds them weakly: a value no connection keeps any more is collected.
     */
    static void share(MultiMap headers) {
        List<Map.Entry<String, String>> received = headers.entries();
        headers.clear();
        for (Map.Entry<String, String> header : received) {
            String name = header.getKey().toLowerCase(Locale.ROOT).intern();
            headers.add(name, REPEATING.contains(name) ? header.getValue().intern() : header.getValue());
        }
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
