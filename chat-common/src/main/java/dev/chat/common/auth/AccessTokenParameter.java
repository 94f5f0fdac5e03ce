package dev.chat.common.auth;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * PROTOCOL.md accepts the JWT as the {@code access_token} query parameter on every call (browsers
 * cannot set headers on a WebSocket upgrade, and clients reuse one way for both). This moves it into
 * the {@code Authorization} header before authentication runs, so smallrye-jwt verifies both the same way.
 * <p>
 * The query is decoded into a throwaway map, not through {@code request.getParam}: the request keeps the map that
 * call builds (with another copy of the token) for as long as it lives, and whatever keeps an upgrade's request
 * (websockets-next did, for the connection's life) keeps that too.
 */
@ApplicationScoped
public class AccessTokenParameter {

    static final String PARAMETER = "access_token";

    void install(@Observes Router router) {
        // Runs before Quarkus's authentication handler, which is ordered later.
        router.route().order(Integer.MIN_VALUE).handler(context -> {
            if (!context.request().headers().contains(HttpHeaders.AUTHORIZATION)) {
                String token = token(context.request().query());
                if (token != null && !token.isEmpty()) {
                    context.request().headers().set(HttpHeaders.AUTHORIZATION, "Bearer " + token);
                }
            }
            context.next();
        });
    }

    /** The first {@code access_token} of a raw query string, decoded; null if it has none. */
    static String token(String query) {
        if (query == null || !query.contains(PARAMETER)) {
            return null;
        }
        List<String> values = new QueryStringDecoder(query, false).parameters().get(PARAMETER);
        return values == null ? null : values.get(0);
    }
}
