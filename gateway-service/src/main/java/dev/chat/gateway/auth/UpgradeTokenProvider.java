package dev.chat.gateway.auth;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.smallrye.jwt.runtime.auth.JsonWebTokenCredential;
import io.quarkus.vertx.http.runtime.security.HttpSecurityUtils;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

/**
 * Proves a WebSocket upgrade's token with the {@link LeanTokenVerifier}, straight into the {@link ConnectionUser} the
 * connection keeps, ahead of smallrye-jwt's validator. Every token it does not vouch for, and every REST request
 * (whose resources inject the full {@code JsonWebToken}), goes on to smallrye-jwt's validator: a {@code null}
 * identity from a provider hands the request to the next one. {@code chat.lean-upgrade-tokens=false} leaves
 * every token to smallrye-jwt. Built at start-up, not on the first upgrade's event loop.
 */
@Startup
@Singleton
public class UpgradeTokenProvider implements IdentityProvider<TokenAuthenticationRequest> {

    private final LeanTokenVerifier verifier;
    private final GatewayMetrics metrics;

    UpgradeTokenProvider(JWTAuthContextInfo info, GatewayMetrics metrics, GatewayConfig config) {
        this.verifier = config.leanUpgradeTokens() ? verifierFor(info) : null;
        this.metrics = metrics;
    }

    private static LeanTokenVerifier verifierFor(JWTAuthContextInfo info) {
        String unsupported = LeanTokenVerifier.unsupported(info);
        LeanTokenVerifier verifier = null;
        if (unsupported == null) {
            try {
                verifier = LeanTokenVerifier.of(info);
            } catch (Exception notTaken) {
                unsupported = notTaken.getMessage();
            }
        }
        if (verifier == null) {
            Log.infof("Upgrade tokens are verified by smallrye-jwt alone: its configuration asks for %s", unsupported);
            return null;
        }
        // Loads its classes now rather than on the first upgrade. A verifier that vouched for a made-up signature would
        // let forged tokens in.
        String probe = TokenVerifierWarmUp.probe(info.getSignatureAlgorithm().iterator().next().getAlgorithm(), info.getIssuedBy());
        if (verifier.verify(probe, System.currentTimeMillis() / 1000) != null) {
            throw new IllegalStateException("The lean token verifier accepted a token with a made-up signature: refusing to start");
        }
        return verifier;
    }

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    /** Ahead of smallrye-jwt's validator, which keeps the default. */
    @Override
    public int priority() {
        return IdentityProvider.super.priority() + 1;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        if (!(request.getToken() instanceof JsonWebTokenCredential)
                || !ConnectionIdentity.isUpgrade(HttpSecurityUtils.getRoutingContextAttribute(request))) {
            return Uni.createFrom().nullItem();
        }
        ConnectionUser user = verifier == null ? null : verifier.verify(request.getToken().getToken(), System.currentTimeMillis() / 1000);
        metrics.upgradeToken(user != null);
        return Uni.createFrom().item(user);
    }
}
