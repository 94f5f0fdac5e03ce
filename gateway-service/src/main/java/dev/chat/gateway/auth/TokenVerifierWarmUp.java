package dev.chat.gateway.auth;

import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jose4j.jwa.AlgorithmFactoryFactory;
import org.jose4j.jwt.consumer.InvalidJwtSignatureException;

/**
 * Builds what the token verifier builds on first use at start-up, instead of on the event loop that takes the first
 * upgrade while a restarted gateway's reconnect storm waits behind it: jose4j's algorithm registry (it asks the JVM's
 * providers about every algorithm: 70-175 ms, measured) and, with a key given inline, the key, the JSON and crypto
 * classes, through a probe token whose signature cannot match. A verifier that accepted the probe would accept forged
 * tokens: the gateway refuses to start then. With a key location that is a URL (JWKS) there is no probe: its key
 * selection would fetch the keys again for a token no key matches, and hold back the refresh a rotated key needs.
 */
@ApplicationScoped
public class TokenVerifierWarmUp {

    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

    void warmUp(@Observes StartupEvent event, JWTParser parser,
            @ConfigProperty(name = "smallrye.jwt.verify.algorithm", defaultValue = "RS256") String algorithm,
            @ConfigProperty(name = "mp.jwt.verify.issuer", defaultValue = "chat") String issuer,
            @ConfigProperty(name = "mp.jwt.verify.publickey.location") Optional<String> keyLocation) {
        long start = System.nanoTime();
        AlgorithmFactoryFactory.getInstance();
        if (keyLocation.map(location -> location.startsWith("http")).orElse(false)) {
            Log.debugf("Token algorithms ready in %d ms", (System.nanoTime() - start) / 1_000_000);
            return;
        }
        try {
            parser.parse(probe(algorithm, issuer));
        } catch (ParseException refused) {
            if (refusedForItsSignature(refused)) {
                Log.debugf("Token verifier ready in %d ms", (System.nanoTime() - start) / 1_000_000);
            } else {
                Log.warnf("The token verifier's start-up probe was refused before its signature was checked: %s", refused.getMessage());
            }
            return;
        }
        throw new IllegalStateException("The token verifier accepted a token with a made-up signature: refusing to start");
    }

    /** A well-formed, unexpired token for {@code algorithm} and {@code issuer}, whose signature is zeros. */
    static String probe(String algorithm, String issuer) {
        JsonObject header = new JsonObject().put("alg", algorithm).put("typ", "JWT");
        long now = System.currentTimeMillis() / 1000;
        JsonObject claims = new JsonObject().put("iss", issuer).put("sub", "start-up probe").put("iat", now).put("exp", now + 60);
        // The length each algorithm's verifier expects, so that it gets as far as comparing it.
        byte[] signature = new byte[switch (algorithm) {
            case "ES256" -> 64;
            case "ES384" -> 96;
            case "ES512" -> 132;
            case "HS256" -> 32;
            case "HS384" -> 48;
            case "HS512" -> 64;
            default -> 256; // RSA with a 2048-bit key
        }];
        return URL.encodeToString(header.encode().getBytes(StandardCharsets.UTF_8)) + "."
                + URL.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8)) + "." + URL.encodeToString(signature);
    }

    /** Whether the verifier refused the probe at the signature check, having done everything before it. */
    static boolean refusedForItsSignature(Throwable refused) {
        for (Throwable cause = refused; cause != null; cause = cause.getCause()) {
            if (cause instanceof InvalidJwtSignatureException) {
                return true;
            }
        }
        return false;
    }
}
