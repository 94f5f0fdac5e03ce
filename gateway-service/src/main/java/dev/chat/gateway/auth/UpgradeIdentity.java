package dev.chat.gateway.auth;

import dev.chat.gateway.connection.ChatEndpoint;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.Router;
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
 * ahead of this route; an upgrade without a connection user is refused here too.
 */
@ApplicationScoped
public class UpgradeIdentity implements HttpUpgradeCheck {

    /** The connection's user, from its upgrade until the endpoint's {@code @OnOpen} takes it. */
    public static final UserData.TypedKey<ConnectionUser> USER = new UserData.TypedKey<>("chat.user");

    /** After Quarkus's authentication (order -200) and authorization (-100), before the WebSocket endpoints' routes. */
    static final int ORDER = -1;

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        return context.securityIdentity().map(identity -> {
            if (identity != null && identity.getPrincipal() instanceof ConnectionUser user) {
                context.userData().put(USER, user);
                return CheckResult.permitUpgradeSync();
            }
            return CheckResult.rejectUpgradeSync(401);
        });
    }

    void install(@Observes Router router) {
        router.route(ChatEndpoint.PATH).order(ORDER).handler(context -> {
            // The endpoint's handler runs the checks and asks Vert.x for the WebSocket, which is created after this
            // returns, once the request has ended: by then the request no longer names an identity.
            context.next();
            context.clearUser();
            context.remove(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        });
    }
}
