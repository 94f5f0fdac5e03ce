package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Token checks with a production-like configuration: RS256 pinned, an audience required. Forged,
 * unsigned, expired, not-yet-valid, wrong-audience and algorithm-confusion tokens all fail the upgrade with 401.
 */
@QuarkusTest
@TestProfile(TokenVerificationTest.Rs256WithAudience.class)
class TokenVerificationTest {

    static final KeyPair KEYS = shared("tokentest.rsa.keys");
    static final KeyPair OTHER_KEYS = shared("tokentest.rsa.other");

    public static class Rs256WithAudience implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "smallrye.jwt.verify.algorithm", "RS256",
                    "mp.jwt.verify.publickey", Base64.getEncoder().encodeToString(KEYS.getPublic().getEncoded()),
                    "mp.jwt.verify.audiences", "chat-clients");
        }

        /** A profile of its own, so the test profile's HS256 development secret does not apply. */
        @Override
        public String getConfigProfile() {
            return "rs256";
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    int status(String token) {
        return ChatClient.upgradeStatus(vertx, base, token);
    }

    static io.smallrye.jwt.build.JwtClaimsBuilder claims() {
        return Jwt.subject("alice").issuer("chat").audience("chat-clients").expiresIn(600);
    }

    @Test
    void aProperlySignedTokenIsAccepted() {
        double lean = LeanUpgradeTokensTest.count("lean");
        assertEquals(101, status(claims().sign(KEYS.getPrivate())));
        assertEquals(lean + 1, LeanUpgradeTokensTest.count("lean"), "vouched for by the lean verifier, audience included");
    }

    @Test
    void aTokenSignedWithAnotherKeyIsRefused() {
        assertEquals(401, status(claims().sign(OTHER_KEYS.getPrivate())));
    }

    @Test
    void anUnsignedTokenIsRefused() {
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        long now = Instant.now().getEpochSecond();
        String body = b64("{\"sub\":\"alice\",\"iss\":\"chat\",\"aud\":\"chat-clients\",\"exp\":" + (now + 600) + "}");
        assertEquals(401, status(header + "." + body + "."));
    }

    @Test
    void anHs256TokenKeyedWithThePublicKeyIsRefused() {
        // Algorithm confusion: a token "signed" with the RSA public key used as an HMAC secret.
        String secret = Base64.getEncoder().encodeToString(KEYS.getPublic().getEncoded());
        assertEquals(401, status(claims().signWithSecret(secret)));
    }

    @Test
    void expiredAndNotYetValidTokensAreRefused() {
        long now = Instant.now().getEpochSecond();
        assertEquals(401, status(Jwt.subject("alice").issuer("chat").audience("chat-clients")
                .issuedAt(now - 7200).expiresAt(now - 3600).sign(KEYS.getPrivate())));
        assertEquals(401, status(claims().claim("nbf", now + 3600).sign(KEYS.getPrivate())));
    }

    @Test
    void theIssuerAndAudienceAreChecked() {
        assertEquals(401, status(Jwt.subject("alice").issuer("elsewhere").audience("chat-clients").expiresIn(600).sign(KEYS.getPrivate())));
        assertEquals(401, status(Jwt.subject("alice").issuer("chat").audience("another-app").expiresIn(600).sign(KEYS.getPrivate())));
        assertEquals(401, status(Jwt.subject("alice").issuer("chat").expiresIn(600).sign(KEYS.getPrivate())));
    }

    @Test
    void aTokenWithoutExpiryIsRefused() throws Exception {
        String header = b64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
        String body = b64("{\"sub\":\"alice\",\"iss\":\"chat\",\"aud\":\"chat-clients\",\"iat\":" + Instant.now().getEpochSecond() + "}");
        java.security.Signature rsa = java.security.Signature.getInstance("SHA256withRSA");
        rsa.initSign(KEYS.getPrivate());
        rsa.update((header + "." + body).getBytes(StandardCharsets.US_ASCII));
        String signature = Base64.getUrlEncoder().withoutPadding().encodeToString(rsa.sign());
        assertEquals(401, status(header + "." + body + "." + signature));
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The profile and the test run in different class loaders, so each would generate its own keys;
     * a system property (one per JVM) makes them share one pair.
     */
    private static synchronized KeyPair shared(String property) {
        try {
            java.security.KeyFactory factory = java.security.KeyFactory.getInstance("RSA");
            String stored = System.getProperty(property);
            if (stored == null) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                KeyPair pair = generator.generateKeyPair();
                stored = Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + ":"
                        + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());
                System.setProperty(property, stored);
            }
            String[] parts = stored.split(":");
            return new KeyPair(
                    factory.generatePublic(new java.security.spec.X509EncodedKeySpec(Base64.getDecoder().decode(parts[1]))),
                    factory.generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(parts[0]))));
        } catch (NoSuchAlgorithmException | java.security.spec.InvalidKeySpecException e) {
            throw new IllegalStateException(e);
        }
    }
}
