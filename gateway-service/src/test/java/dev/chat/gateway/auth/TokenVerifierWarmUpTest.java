package dev.chat.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The start-up probe takes the verifier all the way to the signature check (so everything the verifier builds on
 * first use is built at start-up), and only its signature makes it fail.
 */
@QuarkusTest
class TokenVerifierWarmUpTest {

    @Inject
    JWTParser parser;

    @Test
    void theProbeIsRefusedForItsSignatureAlone() {
        ParseException refused = assertThrows(ParseException.class, () -> parser.parse(TokenVerifierWarmUp.probe("HS256", "chat")));
        assertTrue(TokenVerifierWarmUp.refusedForItsSignature(refused), "refused at the signature check, not before it: " + refused);
    }

    @Test
    void aTokenRefusedBeforeItsSignatureIsToldApart() {
        ParseException refused = assertThrows(ParseException.class, () -> parser.parse("not.a.token"));
        assertFalse(TokenVerifierWarmUp.refusedForItsSignature(refused), "a malformed token never reaches the signature check");
    }

    @Test
    void theProbeSignedWithTheKeyWouldBeAccepted() throws Exception {
        String probe = TokenVerifierWarmUp.probe("HS256", "chat");
        String signed = probe.substring(0, probe.lastIndexOf('.'));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Tokens.SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String token = signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));

        assertEquals("start-up probe", parser.parse(token).getSubject(), "the probe is a valid token but for its signature");
    }
}
