package dev.chat.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class TokensTest {

    @Test
    void signsLikeTheRfcExampleOfJwtIo() {
        // The widely published HS256 example token (jwt.io): same header, payload and secret, same signature.
        String token = Tokens.sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"1234567890\",\"name\":\"John Doe\",\"iat\":1516239022}",
                "your-256-bit-secret");
        assertEquals("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
                + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", token);
    }

    @Test
    void mintedTokenCarriesUserIssuerAndExpiryAndVerifiesWithTheSecret() throws Exception {
        String secret = "0123456789abcdef0123456789abcdef";
        long before = System.currentTimeMillis() / 1000;
        String token = new Tokens(secret, null, Duration.ofMinutes(10), "chat").tokenFor("load17");
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals("load17", claims.get("sub").asText());
        assertEquals("chat", claims.get("iss").asText());
        assertTrue(claims.get("exp").asLong() >= before + 600 && claims.get("exp").asLong() <= before + 601);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertEquals(Base64.getUrlEncoder().withoutPadding().encodeToString(expected), parts[2]);
    }

    @Test
    void tokenCommandGetsTheUserAndItsFirstLineIsTheToken() {
        Tokens tokens = new Tokens(null, "printf 'tok-%s\\nignored\\n' {user}", Duration.ofHours(1), "chat");
        assertEquals("tok-alice", tokens.tokenFor("alice"));
    }

    @Test
    void failingTokenCommandIsAnError() {
        Tokens tokens = new Tokens(null, "exit 3", Duration.ofHours(1), "chat");
        assertThrows(IllegalStateException.class, () -> tokens.tokenFor("alice"));
    }

    @Test
    void exactlyOneTokenSource() {
        assertThrows(IllegalArgumentException.class, () -> new Tokens(null, null, Duration.ofHours(1), "chat"));
        assertThrows(IllegalArgumentException.class, () -> new Tokens("s", "cmd", Duration.ofHours(1), "chat"));
    }
}
