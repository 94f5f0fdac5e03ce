package dev.chat.gateway;

import io.smallrye.jwt.build.Jwt;
import java.time.Instant;

/** Test tokens signed with the development HS256 secret the test profile verifies against. */
public final class Tokens {

    public static final String SECRET = System.getenv().getOrDefault("CHAT_JWT_SECRET", "dev-only-secret-0123456789abcdef0123456789");

    private Tokens() {
    }

    public static String forUser(String user) {
        return Jwt.subject(user).issuer("chat").expiresIn(3600).signWithSecret(SECRET);
    }

    public static String service(String name) {
        return Jwt.subject(name).issuer("chat").groups("chat-service").expiresIn(3600).signWithSecret(SECRET);
    }

    public static String expired(String user) {
        return Jwt.subject(user).issuer("chat").issuedAt(Instant.now().minusSeconds(7200)).expiresAt(Instant.now().minusSeconds(3600)).signWithSecret(SECRET);
    }

    public static String forged(String user) {
        return Jwt.subject(user).issuer("chat").expiresIn(3600).signWithSecret("another-secret-that-is-long-enough-0123456789");
    }

    public static String wrongIssuer(String user) {
        return Jwt.subject(user).issuer("someone-else").expiresIn(3600).signWithSecret(SECRET);
    }
}
