package dev.chat.common.auth;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * PROTOCOL.md accepts the JWT as the {@code access_token} query parameter on every call (browsers
 * cannot set headers on a WebSocket upgrade, and clients reuse one way for both). This moves it into
 * the {@code Authorization} header before authentication runs, so smallrye-jwt verifies both the same way.
 */
@ApplicationScoped
public class AccessTokenParameter {

    static final String PARAMETER = "access_token";

    void install(@Observes Router router) {
        // Runs before Quarkus's authentication handler, which is ordered later.
        router.route().order(Integer.MIN_VALUE).handler(context -> {
            if (!context.request().headers().contains(HttpHeaders.AUTHORIZATION)) {
                String token = context.request().getParam(PARAMETER);
                if (token != null && !token.isEmpty()) {
                    context.request().headers().set(HttpHeaders.AUTHORIZATION, "Bearer " + token);
                }
            }
            context.next();
        });
    }
}
