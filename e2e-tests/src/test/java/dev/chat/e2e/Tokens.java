package dev.chat.e2e;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HS256 tokens for the development secret the processes under test are started with. */
final class Tokens {

    static final String SECRET = "e2e-secret-0123456789abcdef0123456789abcdef";

    private Tokens() {
    }

    static String forUser(String user) {
        return signed(user, "");
    }

    /** A backend's token for the server publish API: the role {@code chat-service}. */
    static String forService(String subject) {
        return signed(subject, ",\"groups\":[\"chat-service\"]");
    }

    private static String signed(String user, String moreClaims) {
        long now = System.currentTimeMillis() / 1000;
        String header = b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
        String claims = b64("{\"sub\":\"" + user + "\",\"iss\":\"chat\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + moreClaims + "}");
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signature = mac.doFinal((header + "." + claims).getBytes(StandardCharsets.UTF_8));
            return header + "." + claims + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
