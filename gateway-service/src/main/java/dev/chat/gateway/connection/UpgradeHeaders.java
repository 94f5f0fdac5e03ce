package dev.chat.gateway.connection;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
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
 */
@ApplicationScoped
public class UpgradeHeaders implements HttpUpgradeCheck {

    /** Read by nothing after the upgrade. Host, Origin and the Sec-WebSocket-* headers stay. */
    static final List<CharSequence> UNREAD = List.of(HttpHeaders.COOKIE, HttpHeaders.USER_AGENT, HttpHeaders.ACCEPT_LANGUAGE,
            HttpHeaders.ACCEPT_ENCODING, HttpHeaders.CACHE_CONTROL, "Pragma");

    private static final UserData.TypedKey<MultiMap> HEADERS = new UserData.TypedKey<>("chat.upgrade-headers");

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        MultiMap headers = context.httpRequest().headers();
        UNREAD.forEach(headers::remove);
        context.userData().put(HEADERS, headers);
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
     * Empties the upgrade's header map, which Vert.x's WebSocket keeps for the connection's life (about 0.6 KB), once
     * the connection is open: the handshake has read it, and websockets-next copied it into the connection's
     * handshake request.
     */
    static void release(UserData userData) {
        MultiMap headers = userData.remove(HEADERS);
        if (headers != null) {
            headers.clear();
        }
    }
}
