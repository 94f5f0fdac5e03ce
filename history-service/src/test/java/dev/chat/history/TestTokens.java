package dev.chat.history;

import io.smallrye.jwt.build.Jwt;
import java.time.Duration;
import java.time.Instant;

/** Tokens as the development identity provider issues them (HS256 with the shared development secret). */
public final class TestTokens {

    /** The secret DevSecretConfigSource falls back to; tests run without CHAT_JWT_SECRET. */
    public static final String SECRET = "dev-only-secret-0123456789abcdef0123456789";

    private TestTokens() {
    }

    public static String valid(String user) {
        return Jwt.subject(user).issuer("chat").expiresIn(Duration.ofMinutes(5)).signWithSecret(SECRET);
    }

    public static String expired(String user) {
        Instant past = Instant.now().minus(Duration.ofHours(2));
        return Jwt.subject(user).issuer("chat").issuedAt(past).expiresAt(past.plus(Duration.ofMinutes(5))).signWithSecret(SECRET);
    }

    public static String forged(String user) {
        return Jwt.subject(user).issuer("chat").expiresIn(Duration.ofMinutes(5))
                .signWithSecret("not-the-secret-0123456789abcdef0123456789");
    }

    public static String otherIssuer(String user) {
        return Jwt.subject(user).issuer("someone-else").expiresIn(Duration.ofMinutes(5)).signWithSecret(SECRET);
    }
}
