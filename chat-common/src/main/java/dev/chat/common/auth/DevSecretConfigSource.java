package dev.chat.common.auth;

import dev.chat.common.config.ComputedProperty;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Turns the development HS256 secret from {@code CHAT_JWT_SECRET} into the JWK form smallrye-jwt
 * reads ({@code chat-dev-secret.jwk}); application.properties wires it in for dev and test only.
 */
public class DevSecretConfigSource extends ComputedProperty {

    static final String PROPERTY = "chat-dev-secret.jwk";
    /** Used when CHAT_JWT_SECRET is not set; only dev and test profiles ever read it. */
    static final String DEVELOPMENT_SECRET = "dev-only-secret-0123456789abcdef0123456789";

    public DevSecretConfigSource() {
        super("chat-dev-secret", PROPERTY, 150);
    }

    @Override
    protected String value() {
        String secret = System.getenv("CHAT_JWT_SECRET");
        return jwk(secret == null || secret.isEmpty() ? DEVELOPMENT_SECRET : secret);
    }

    static String jwk(String secret) {
        String k = Base64.getUrlEncoder().withoutPadding().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
        return "{\"kty\":\"oct\",\"k\":\"" + k + "\"}";
    }
}
