package dev.chat.gateway.auth;

import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * A WebSocket connection keeps the identity its upgrade proved for as long as it is open, and a verified JWT's
 * identity is heavy: the token, its claims parsed into maps, the request it came with. A connection needs only who
 * the user is and when the token expires, so an upgrade's identity is replaced by one that holds just that
 * ({@link #user}, {@link #expiresAt}): a {@link ConnectionUser}. REST requests, which end at once and may need the
 * token's roles and claims, keep the full identity.
 */
@ApplicationScoped
public class ConnectionIdentity implements SecurityIdentityAugmentor {

    /** The token's subject, the user id of the connection ({@code ""} if the token has none). */
    public static String user(SecurityIdentity identity) {
        return identity.getPrincipal() instanceof JsonWebToken token
                ? Objects.requireNonNullElse(token.getSubject(), "")
                : identity.getPrincipal().getName();
    }

    /** When the connection's token expires, epoch milliseconds; 0 (already expired) for an identity that does not say. */
    public static long expiresAt(SecurityIdentity identity) {
        return identity.getPrincipal() instanceof JsonWebToken token
                ? token.getExpirationTime() * 1000
                : identity.getPrincipal() instanceof ConnectionUser connection ? connection.expiresAt() : 0;
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        return Uni.createFrom().item(identity);
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context, Map<String, Object> attributes) {
        if (!(identity.getPrincipal() instanceof JsonWebToken) || !isUpgrade(attributes.get(HttpSecurityUtils.ROUTING_CONTEXT_ATTRIBUTE))) {
            return Uni.createFrom().item(identity);
        }
        return Uni.createFrom().item(new ConnectionUser(user(identity), Set.copyOf(identity.getRoles()), expiresAt(identity)));
    }

    private static boolean isUpgrade(Object routingContext) {
        return routingContext instanceof RoutingContext http
                && "websocket".equalsIgnoreCase(http.request().getHeader(HttpHeaders.UPGRADE));
    }
}
