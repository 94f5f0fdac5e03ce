package dev.chat.gateway.auth;

import dev.chat.gateway.GatewayConfig;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Refuses (403) browser WebSocket upgrades from origins other than the gateway's own and those on the allow-list, so another site's
 * page cannot open a chat connection with a user's token. Clients that send no Origin (servers,
 * native apps) are not browsers and are let through; the token still decides who they are.
 */
@ApplicationScoped
public class OriginCheck implements HttpUpgradeCheck {

    private final Optional<List<String>> allowed;

    public OriginCheck(GatewayConfig config) {
        this.allowed = config.allowedOrigins();
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpServerRequest request = context.httpRequest();
        String origin = request.getHeader("Origin");
        if (origin == null || isAllowed(origin, request.getHeader("Host"))) {
            return CheckResult.permitUpgrade();
        }
        return CheckResult.rejectUpgrade(403);
    }

    boolean isAllowed(String origin, String host) {
        // The gateway's own origin (its page, or the load balancer in front of it) is always allowed.
        if (isSameOrigin(origin, host)) {
            return true;
        }
        return allowed.isPresent() && (allowed.get().contains("*") || allowed.get().stream().anyMatch(o -> o.equalsIgnoreCase(origin)));
    }

    private static boolean isSameOrigin(String origin, String host) {
        try {
            URI uri = URI.create(origin);
            String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return host != null && host.equalsIgnoreCase(authority);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
