package dev.chat.gateway.connection;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Drops the upgrade request's cookies before the WebSocket is created. The gateway authenticates with the
 * token and never reads cookies, but websockets-next and Vert.x keep the upgrade's headers, in three maps,
 * for the connection's life: a browser's cookies for the site would cost every connection about 1.5 times
 * their size in heap (ConnectionFootprint with FOOTPRINT_BROWSER=1), behind any proxy, and keep other
 * applications' session cookies in the gateway's memory for hours.
 */
@ApplicationScoped
public class UpgradeCookies implements HttpUpgradeCheck {

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        context.httpRequest().headers().remove(HttpHeaders.COOKIE);
        return CheckResult.permitUpgrade();
    }
}
