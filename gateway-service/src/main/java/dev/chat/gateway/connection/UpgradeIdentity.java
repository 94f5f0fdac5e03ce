package dev.chat.gateway.connection;

import dev.chat.gateway.auth.ConnectionUser;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.quarkus.websockets.next.HandshakeRequest;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Hands the identity an upgrade proved to its connection, then lets the upgrade's request go.
 * <p>
 * websockets-next keeps the routing context of an upgrade that carries an identity for the connection's whole life,
 * to resolve a deferred identity or to update it later; the gateway does neither. That context holds the request,
 * its response, their headers and the URI with the token: about 2 KB of heap per idle connection (BENCHMARKS.md).
 * So this check puts the upgrade's {@link ConnectionUser} in the connection's user data, where the endpoint takes
 * it, and once the upgrade's checks have run the request's identity is released: websockets-next then keeps no
 * routing context and no identity. Authentication and authorization still run as before, in Quarkus's HTTP security
 * ahead of this route (the {@code /chat} path policy resolves the identity before it); an upgrade without a
 * connection user is refused here too.
 * <p>
 * So the endpoint's callbacks run with no identity: a method-level security annotation on them, or an injected
 * {@code WebSocketSecurity}, would need one and must not be added without undoing this.
 */
@ApplicationScoped
public class UpgradeIdentity implements HttpUpgradeCheck {

    /** The connection's user, from its upgrade until the endpoint's {@code @OnOpen} takes it. */
    static final UserData.TypedKey<ConnectionUser> USER = new UserData.TypedKey<>("chat.user");

    /** After Quarkus's authentication (order -200) and authorization (-100), before the WebSocket endpoints' routes. */
    static final int ORDER = -1;

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        Uni<SecurityIdentity> identity = context.securityIdentity();
        if (identity == null) {
            return CheckResult.rejectUpgrade(401);
        }
        return identity.map(proven -> {
            if (proven != null && proven.getPrincipal() instanceof ConnectionUser user) {
                context.userData().put(USER, user);
                return CheckResult.permitUpgradeSync();
            }
            return CheckResult.rejectUpgradeSync(401);
        });
    }

    void install(@Observes Router router) {
        router.route(ChatEndpoint.PATH).order(ORDER).handler(context -> {
            if (Context.isOnEventLoopThread()) {
                upgradeThenRelease(context);
            } else {
                // Vert.x creates the WebSocket on the request's event loop, so the release must run there to come
                // first. Quarkus's blocking authentication (a JWKS URL) returns to the event loop before this route
                // (UpgradeReleaseWithBlockingAuthenticationTest); an authentication that went on from a worker would not.
                ((HttpServerRequestInternal) context.request()).context().runOnContext(v -> upgradeThenRelease(context));
            }
        });
    }

    /**
     * The endpoint's handler runs the checks and asks Vert.x for the WebSocket, which Vert.x creates on this event loop
     * once the request has ended, after this returns: by then the request no longer names an identity.
     */
    private static void upgradeThenRelease(RoutingContext context) {
        boolean upgrade = context.request().headers().contains(HandshakeRequest.SEC_WEBSOCKET_KEY);
        context.next();
        if (upgrade) {
            context.setUser(null);
            context.remove(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        }
    }
}
