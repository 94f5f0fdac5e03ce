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
 * A verified JWT's identity is heavy: the token, its claims parsed into maps. A WebSocket connection needs only who
 * the user is and when the token expires, so an upgrade's identity is replaced by a {@link ConnectionUser} that holds
 * just that, which the upgrade hands to its connection ({@code connection.UpgradeIdentity}). REST requests, which end
 * at once and may need the token's roles and claims, keep the full identity.
 */
@ApplicationScoped
public class ConnectionIdentity implements SecurityIdentityAugmentor {

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
        return Uni.createFrom().item(identity);
    }

    @Override
    public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context, Map<String, Object> attributes) {
        if (!(identity.getPrincipal() instanceof JsonWebToken token) || !isUpgrade(attributes.get(HttpSecurityUtils.ROUTING_CONTEXT_ATTRIBUTE))) {
            return Uni.createFrom().item(identity);
        }
        // The user is the token's subject ("" if it has none, which the endpoint refuses), whatever other names the
        // token carries.
        return Uni.createFrom().item(new ConnectionUser(Objects.requireNonNullElse(token.getSubject(), ""),
                Set.copyOf(identity.getRoles()), token.getExpirationTime() * 1000));
    }

    static boolean isUpgrade(Object routingContext) {
        return routingContext instanceof RoutingContext http
                && "websocket".equalsIgnoreCase(http.request().getHeader(HttpHeaders.UPGRADE));
    }
}
