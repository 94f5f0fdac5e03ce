package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/'s production setting, an RS256 public key in a PEM file ({@code MP_JWT_VERIFY_PUBLICKEY_LOCATION}) and an
 * issuer: upgrades' tokens go through the lean verifier, and what it does not vouch for still meets smallrye-jwt.
 */
@QuarkusTest
@TestProfile(LeanUpgradeTokensRs256Test.Rs256KeyFile.class)
class LeanUpgradeTokensRs256Test {

    public static class Rs256KeyFile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path pem = Files.createTempFile("chat-public-key", ".pem");
                pem.toFile().deleteOnExit();
                Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                        + Base64.getMimeEncoder().encodeToString(TokenVerificationTest.KEYS.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
                return Map.of("smallrye.jwt.verify.algorithm", "RS256", "mp.jwt.verify.publickey.location", "file:" + pem);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String getConfigProfile() {
            return "rs256-file";
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Test
    void aTokenSignedWithThePrivateKeyIsVouchedForAndAForgedOneRefusedBySmallryeJwt() {
        double lean = LeanUpgradeTokensTest.count("lean");
        double deferred = LeanUpgradeTokensTest.count("deferred");

        assertEquals(101, ChatClient.upgradeStatus(vertx, base, Jwt.subject("alice").issuer("chat").expiresIn(600).sign(TokenVerificationTest.KEYS.getPrivate())));
        assertEquals(lean + 1, LeanUpgradeTokensTest.count("lean"), "vouched for by the lean verifier");

        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Jwt.subject("alice").issuer("chat").expiresIn(600).sign(TokenVerificationTest.OTHER_KEYS.getPrivate())));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Jwt.subject("alice").issuer("chat").expiresIn(600)
                .signWithSecret(Base64.getEncoder().encodeToString(TokenVerificationTest.KEYS.getPublic().getEncoded()))));
        assertEquals(lean + 1, LeanUpgradeTokensTest.count("lean"), "neither vouched for");
        assertEquals(deferred + 2, LeanUpgradeTokensTest.count("deferred"), "both decided by smallrye-jwt");
    }
}
