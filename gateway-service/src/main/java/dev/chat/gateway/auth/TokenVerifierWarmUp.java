package dev.chat.gateway.auth;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Runs the token verifier once at start-up, on a probe whose signature cannot match, so that what it builds on first
 * use is built before the first upgrade instead of on the event loop that takes it: jose4j's algorithm registry (it
 * asks the JVM's providers about every algorithm: 70-175 ms measured, while a restarted gateway's reconnect storm
 * waits behind it), the verification key (a JWKS location is fetched here), the JSON and crypto classes. A verifier
 * that accepted the probe would accept forged tokens: the gateway refuses to start then.
 */
@ApplicationScoped
public class TokenVerifierWarmUp {

    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    void warmUp(@Observes StartupEvent event, JWTParser parser,
            @ConfigProperty(name = "smallrye.jwt.verify.algorithm", defaultValue = "RS256") String algorithm,
            @ConfigProperty(name = "mp.jwt.verify.issuer", defaultValue = "chat") String issuer) {
        long start = System.nanoTime();
        try {
            parser.parse(probe(algorithm, issuer));
        } catch (ParseException refused) {
            Log.debugf("Token verifier ready in %d ms (the start-up probe was refused: %s)",
                    (System.nanoTime() - start) / 1_000_000, refused.getMessage());
            return;
        }
        throw new IllegalStateException("The token verifier accepted a token with a random signature: refusing to start");
    }

    /** A well-formed token for {@code algorithm} and {@code issuer}, unexpired, signed with random bytes. */
    static String probe(String algorithm, String issuer) {
        String header = "{\"alg\":\"" + algorithm + "\",\"typ\":\"JWT\"}";
        long now = System.currentTimeMillis() / 1000;
        String claims = "{\"iss\":\"" + issuer + "\",\"sub\":\"start-up probe\",\"iat\":" + now + ",\"exp\":" + (now + 60) + "}";
        byte[] signature = new byte[algorithm.startsWith("HS") ? 32 : algorithm.startsWith("ES") ? 64 : 256];
        new SecureRandom().nextBytes(signature);
        return URL.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + URL.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + URL.encodeToString(signature);
    }
}
