package dev.chat.gateway.auth;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Refuses to start a production gateway that has no RS256 public key or would accept the shared development secret. */
@ApplicationScoped
public class SigningKeyGuard {

    private final Optional<String> publicKey;
    private final Optional<String> publicKeyLocation;
    private final String algorithm;
    private final boolean devLogin;

    public SigningKeyGuard(@ConfigProperty(name = "chat.dev-login.enabled", defaultValue = "false") boolean devLogin,
            @ConfigProperty(name = "mp.jwt.verify.publickey") Optional<String> publicKey,
            @ConfigProperty(name = "mp.jwt.verify.publickey.location") Optional<String> publicKeyLocation,
            @ConfigProperty(name = "smallrye.jwt.verify.algorithm", defaultValue = "RS256") String algorithm) {
        this.publicKey = publicKey;
        this.publicKeyLocation = publicKeyLocation;
        this.algorithm = algorithm;
        this.devLogin = devLogin;
    }

    void check(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL || !"prod".equals(io.quarkus.runtime.configuration.ConfigUtils.getProfiles().get(0))) {
            return;
        }
        if (!"RS256".equals(algorithm) && !"ES256".equals(algorithm)) {
            throw new IllegalStateException("Production requires an asymmetric token algorithm (RS256); "
                    + "smallrye.jwt.verify.algorithm is " + algorithm);
        }
        if (devLogin) {
            throw new IllegalStateException("chat.dev-login.enabled must not be true in production: it hands out tokens for any user");
        }
        if (publicKey.isEmpty() && publicKeyLocation.isEmpty()) {
            throw new IllegalStateException("No token verification key: set MP_JWT_VERIFY_PUBLICKEY_LOCATION "
                    + "(a PEM file or JWKS URL) or MP_JWT_VERIFY_PUBLICKEY");
        }
    }
}
