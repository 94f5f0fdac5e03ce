package dev.chat.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean verifier vouches only for tokens smallrye-jwt accepts with the same configuration, for the same user,
 * expiry and roles; it vouches for the tokens clients are ordinarily given; and whatever it leaves (forged, expired,
 * unusual) smallrye-jwt decides. Each token below is run through both, under each way a key can be configured.
 */
class LeanTokenVerifierTest {

    static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
    static final byte[] SECRET = "a-test-secret-of-at-least-32-bytes-0123456789".getBytes(StandardCharsets.UTF_8);
    static final KeyPair RSA = rsa(2048);
    static final KeyPair OTHER_RSA = rsa(2048);
    static final long NOW = System.currentTimeMillis() / 1000;

    @TempDir
    Path dir;

    /** A signer: the signature of a token's signing input. */
    interface Signer extends Function<String, byte[]> {
    }

    static Signer hmac(byte[] secret) {
        return input -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
                return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static Signer rs256(PrivateKey key) {
        return input -> {
            try {
                Signature rsa = Signature.getInstance("SHA256withRSA");
                rsa.initSign(key);
                rsa.update(input.getBytes(StandardCharsets.US_ASCII));
                return rsa.sign();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static String token(JsonObject header, JsonObject claims, Signer signer) {
        String input = b64(header.encode()) + "." + b64(claims.encode());
        return input + "." + URL.encodeToString(signer.apply(input));
    }

    /** A token of exactly these header and claims bytes, however odd. */
    static String rawToken(String header, byte[] claims, Signer signer) {
        String input = b64(header) + "." + URL.encodeToString(claims);
        return input + "." + URL.encodeToString(signer.apply(input));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The ordinary claims as JSON text with {@code more} inserted before the closing brace. */
    static String claimsWith(String more) {
        String json = claims().encode();
        return json.substring(0, json.length() - 1) + more + "}";
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static String b64(String json) {
        return URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static JsonObject claims() {
        return new JsonObject().put("sub", "alice").put("iss", "chat").put("iat", NOW).put("exp", NOW + 600);
    }

    static JsonObject header(String alg) {
        return new JsonObject().put("alg", alg).put("typ", "JWT");
    }

    /** Tokens of every kind, by what they are, for a configuration of {@code alg} signed by {@code signer}. */
    static Map<String, String> tokens(String alg, Signer signer, Signer otherKey) {
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("ordinary", token(header(alg), claims(), signer));
        tokens.put("no typ", token(new JsonObject().put("alg", alg), claims(), signer));
        tokens.put("typ at+jwt", token(header(alg).put("typ", "at+jwt"), claims(), signer));
        tokens.put("kid k1", token(header(alg).put("kid", "k1"), claims(), signer));
        tokens.put("kid other", token(header(alg).put("kid", "other"), claims(), signer));
        tokens.put("crit header", token(header(alg).put("crit", new JsonArray().add("x")).put("x", 1), claims(), signer));
        tokens.put("x5c header", token(header(alg).put("x5c", new JsonArray().add("AAAA")), claims(), signer));
        tokens.put("groups", token(header(alg), claims().put("groups", new JsonArray().add("chat-service").add("admin")), signer));
        tokens.put("groups as a string", token(header(alg), claims().put("groups", "chat-service admin"), signer));
        tokens.put("groups with a number", token(header(alg), claims().put("groups", new JsonArray().add("a").add(5)), signer));
        tokens.put("an audience", token(header(alg), claims().put("aud", "somewhere"), signer));
        tokens.put("more claims", token(header(alg), claims().put("jti", "j-1").put("email", "a@example.com"), signer));
        tokens.put("iat a minute ahead", token(header(alg), claims().put("iat", NOW + 60), signer));
        tokens.put("iat after exp", token(header(alg), claims().put("iat", NOW + 3600), signer));
        tokens.put("nbf passed", token(header(alg), claims().put("nbf", NOW - 10), signer));
        tokens.put("nbf in 30 s", token(header(alg), claims().put("nbf", NOW + 30), signer));
        tokens.put("nbf in an hour", token(header(alg), claims().put("nbf", NOW + 3600), signer));
        tokens.put("expired 30 s ago", token(header(alg), claims().put("exp", NOW - 30), signer));
        tokens.put("expired an hour ago", token(header(alg), claims().put("iat", NOW - 7200).put("exp", NOW - 3600), signer));
        tokens.put("no exp", token(header(alg), remove(claims(), "exp"), signer));
        tokens.put("exp a fraction", token(header(alg), claims().put("exp", NOW + 600.5), signer));
        tokens.put("exp a string", token(header(alg), claims().put("exp", Long.toString(NOW + 600)), signer));
        tokens.put("exp past any date", token(header(alg), claims().put("exp", Long.MAX_VALUE / 10), signer));
        tokens.put("no iat", token(header(alg), remove(claims(), "iat"), signer));
        tokens.put("iat a string", token(header(alg), claims().put("iat", "now"), signer));
        tokens.put("no sub", token(header(alg), remove(claims(), "sub"), signer));
        tokens.put("upn, no sub", token(header(alg), remove(claims(), "sub").put("upn", "alice"), signer));
        tokens.put("empty sub", token(header(alg), claims().put("sub", ""), signer));
        tokens.put("sub a number", token(header(alg), claims().put("sub", 5), signer));
        tokens.put("another issuer", token(header(alg), claims().put("iss", "elsewhere"), signer));
        tokens.put("no issuer", token(header(alg), remove(claims(), "iss"), signer));
        tokens.put("another key", token(header(alg), claims(), otherKey));
        tokens.put("HS256 keyed with the public key", token(header("HS256"), claims(), hmac(RSA.getPublic().getEncoded())));
        tokens.put("HS256 keyed with the public key's PEM", token(header("HS256"), claims(), hmac(pem((RSAPublicKey) RSA.getPublic()).getBytes(StandardCharsets.US_ASCII))));
        tokens.put("alg none", b64(new JsonObject().put("alg", "none").encode()) + "." + b64(claims().encode()) + ".");
        tokens.put("alg none, signature kept", b64(new JsonObject().put("alg", "none").encode()) + "." + b64(claims().encode()) + "."
                + tokens.get("ordinary").split("\\.")[2]);
        tokens.put("another algorithm's header", token(header("RS384".equals(alg) ? "RS256" : "RS384"), claims(), signer));
        String ordinary = tokens.get("ordinary");
        String[] parts = ordinary.split("\\.");
        tokens.put("payload swapped", parts[0] + "." + b64(claims().put("sub", "mallory").encode()) + "." + parts[2]);
        tokens.put("signature cut", ordinary.substring(0, ordinary.length() - 2));
        tokens.put("trailing dot", ordinary + ".");
        tokens.put("five parts", ordinary + ".." );
        tokens.put("padded signature", ordinary + "=");
        tokens.put("space inside", parts[0] + "." + parts[1] + " ." + parts[2]);
        tokens.put("payload an array", parts[0] + "." + b64("[1,2]") + "." + URL.encodeToString(signer.apply(parts[0] + "." + b64("[1,2]"))));
        // What the JSON parsers read differently: the lean verifier must not vouch for any of it.
        String plainHeader = header(alg).encode();
        tokens.put("duplicate sub", rawToken(plainHeader, utf8(claimsWith(",\"sub\":\"admin\"")), signer));
        tokens.put("duplicate sub, escaped", rawToken(plainHeader, utf8(claimsWith(",\"s\\u0075b\":\"admin\"")), signer));
        tokens.put("duplicate exp", rawToken(plainHeader, utf8(claimsWith(",\"exp\":" + (NOW + 86400))), signer));
        tokens.put("duplicate alg", rawToken("{\"alg\":\"" + alg + "\",\"alg\":\"" + alg + "\"}", utf8(claims().encode()), signer));
        tokens.put("a comment in the claims", rawToken(plainHeader, utf8("/*x*/" + claims().encode()), signer));
        tokens.put("a comment in the header", rawToken("// x\n" + plainHeader, utf8(claims().encode()), signer));
        tokens.put("a byte order mark", rawToken(plainHeader, concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(claims().encode())), signer));
        tokens.put("claims in UTF-16LE", rawToken(plainHeader, claims().encode().getBytes(StandardCharsets.UTF_16LE), signer));
        tokens.put("claims in UTF-16BE", rawToken(plainHeader, claims().encode().getBytes(StandardCharsets.UTF_16BE), signer));
        tokens.put("malformed UTF-8 in iss", rawToken(plainHeader, concat(utf8("{\"iss\":\"c"), new byte[] {(byte) 0xC1, (byte) 0xA8},
                utf8("at\",\"sub\":\"alice\",\"iat\":" + NOW + ",\"exp\":" + (NOW + 600) + "}")), signer));
        tokens.put("malformed UTF-8 in sub", rawToken(plainHeader, concat(utf8("{\"iss\":\"chat\",\"sub\":\"ad"), new byte[] {(byte) 0xC1, (byte) 0xAD},
                utf8("in\",\"iat\":" + NOW + ",\"exp\":" + (NOW + 600) + "}")), signer));
        tokens.put("something after the claims", rawToken(plainHeader, utf8(claims().encode() + " {}"), signer));
        tokens.put("a number past a double", rawToken(plainHeader, utf8(claimsWith(",\"x\":1e400")), signer));
        tokens.put("a number of 400 digits", rawToken(plainHeader, utf8(claimsWith(",\"x\":" + "9".repeat(400))), signer));
        tokens.put("jti a number", token(header(alg), claims().put("jti", 5), signer));
        tokens.put("jti an object", token(header(alg), claims().put("jti", new JsonObject()), signer));
        tokens.put("role mappings", token(header(alg), claims().put("groups", new JsonArray().add("user")).put("roleMappings", new JsonObject().put("user", "admin")), signer));
        tokens.put("kid a number", token(header(alg).put("kid", 5), claims(), signer));
        tokens.put("signature's trailing zero cut", trailingZeroCut(alg, signer));
        tokens.put("not base64", "***.***.***");
        tokens.put("empty", "");
        return tokens;
    }

    /**
     * An ordinary token whose signature ends in a zero byte, with that byte cut: Vert.x's RSA check pads a short
     * signature with zeros, the JDK's refuses it.
     */
    static String trailingZeroCut(String alg, Signer signer) {
        for (int attempt = 0; attempt < 5000; attempt++) {
            String input = b64(header(alg).encode()) + "." + b64(claims().put("jti", "t-" + attempt).encode());
            byte[] signature = signer.apply(input);
            if (signature[signature.length - 1] == 0) {
                return input + "." + URL.encodeToString(java.util.Arrays.copyOf(signature, signature.length - 1));
            }
        }
        throw new IllegalStateException("no signature ending in a zero byte in 5,000 tries");
    }

    static JsonObject remove(JsonObject json, String field) {
        json.remove(field);
        return json;
    }

    /** Tokens each verifier must vouch for (it may vouch for more, always within smallrye-jwt's acceptance). */
    static final Set<String> ORDINARY = Set.of("ordinary", "no typ", "groups", "an audience", "more claims", "iat a minute ahead", "nbf passed");

    static JWTAuthContextInfo hs256(Consumer<JWTAuthContextInfo> key) {
        return configuration(SignatureAlgorithm.HS256, key);
    }

    static JWTAuthContextInfo rs256(Consumer<JWTAuthContextInfo> key) {
        return configuration(SignatureAlgorithm.RS256, key);
    }

    static JWTAuthContextInfo configuration(SignatureAlgorithm algorithm, Consumer<JWTAuthContextInfo> key) {
        JWTAuthContextInfo info = new JWTAuthContextInfo();
        info.setIssuedBy("chat");
        info.setSignatureAlgorithm(Set.of(algorithm));
        key.accept(info);
        return info;
    }

    /** Every kind of token, signed with {@link #SECRET} (or another secret where a token says so). */
    static Map<String, String> hs256Tokens() {
        return tokens("HS256", hmac(SECRET), hmac("another-secret-of-at-least-32-bytes-0123456789".getBytes(StandardCharsets.UTF_8)));
    }

    /** Every kind of token, signed with {@link #RSA} (or another key where a token says so); each caller gets its own copy. */
    static Map<String, String> rs256Tokens() {
        return new LinkedHashMap<>(Rs256Tokens.ALL);
    }

    /**
     * Signed once for the class: with the tests' C1-only JIT an RSA signature takes milliseconds, and the trailing-zero
     * token alone takes a few hundred of them, seconds for each test that signed its own set.
     */
    private static final class Rs256Tokens {
        static final Map<String, String> ALL = Collections.unmodifiableMap(
                tokens("RS256", rs256(RSA.getPrivate()), rs256(OTHER_RSA.getPrivate())));
    }

    static String secretJwk(String kid) {
        JsonObject jwk = new JsonObject().put("kty", "oct").put("k", URL.encodeToString(SECRET));
        return (kid == null ? jwk : jwk.put("kid", kid)).encode();
    }

    static String rsaJwk(String kid) {
        RSAPublicKey key = (RSAPublicKey) RSA.getPublic();
        JsonObject jwk = new JsonObject().put("kty", "RSA").put("n", URL.encodeToString(unsigned(key.getModulus().toByteArray())))
                .put("e", URL.encodeToString(unsigned(key.getPublicExponent().toByteArray())));
        return (kid == null ? jwk : jwk.put("kid", kid)).encode();
    }

    static byte[] unsigned(byte[] bytes) {
        return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    static String pem(RSAPublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    /** Runs every token through both verifiers under {@code info}; returns the tokens the lean one vouched for. */
    static List<String> vouchedAndChecked(String configuration, JWTAuthContextInfo info, Map<String, String> tokens) throws Exception {
        assertNull(LeanTokenVerifier.unsupported(info), configuration + " is one the lean verifier takes");
        LeanTokenVerifier lean = LeanTokenVerifier.of(info);
        DefaultJWTParser smallrye = new DefaultJWTParser(info);
        List<String> vouched = new ArrayList<>();
        for (Map.Entry<String, String> token : tokens.entrySet()) {
            ConnectionUser user = lean.verify(token.getValue(), System.currentTimeMillis() / 1000);
            if (user == null) {
                continue;
            }
            vouched.add(token.getKey());
            JsonWebToken accepted;
            try {
                accepted = smallrye.parse(token.getValue());
            } catch (Exception refused) {
                throw new AssertionError(configuration + ": the lean verifier vouched for a token smallrye-jwt refuses: " + token.getKey(), refused);
            }
            assertEquals(accepted.getSubject(), user.user(), configuration + ", " + token.getKey() + ": the user");
            assertEquals(accepted.getExpirationTime() * 1000, user.expiresAt(), configuration + ", " + token.getKey() + ": the expiry");
            assertEquals(accepted.getGroups(), user.roles(), configuration + ", " + token.getKey() + ": the roles");
        }
        return vouched;
    }

    static void assertVouchedExactly(String configuration, Set<String> expected, List<String> vouched) {
        assertEquals(expected, Set.copyOf(vouched), configuration + ": the tokens vouched for");
    }

    @Test
    void anHs256SecretAsTheDevelopmentJwkVouchesOnlyForWhatSmallryeAccepts() throws Exception {
        Map<String, String> tokens = hs256Tokens();
        // A JWK without a kid: a token naming a kid is left to smallrye-jwt.
        List<String> vouched = vouchedAndChecked("HS256 JWK", hs256(info -> info.setSecretKeyContent(secretJwk(null))), tokens);
        assertVouchedExactly("HS256 JWK", ORDINARY, vouched);
    }

    @Test
    void anHs256SecretJwkWithAKeyIdVouchesForTokensNamingIt() throws Exception {
        Map<String, String> tokens = hs256Tokens();
        List<String> vouched = vouchedAndChecked("HS256 JWK with kid k1", hs256(info -> info.setSecretKeyContent(secretJwk("k1"))), tokens);
        assertVouchedExactly("HS256 JWK with kid k1", Set.of("kid k1"), vouched);
    }

    @Test
    void anHs256SecretKeyVouchesOnlyForWhatSmallryeAccepts() throws Exception {
        Map<String, String> tokens = hs256Tokens();
        List<String> vouched = vouchedAndChecked("HS256 key", hs256(info -> info.setSecretVerificationKey(new SecretKeySpec(SECRET, "HmacSHA256"))), tokens);
        assertTrue(vouched.containsAll(ORDINARY), "HS256 key vouches for ordinary tokens: " + vouched);
    }

    @Test
    void anRs256PublicKeyAsPemOrBareBase64VouchesOnlyForWhatSmallryeAccepts() throws Exception {
        Map<String, String> tokens = rs256Tokens();
        Set<String> withAnyKid = new java.util.HashSet<>(ORDINARY);
        withAnyKid.addAll(Set.of("kid k1", "kid other", "kid a number"));
        for (String content : List.of(pem((RSAPublicKey) RSA.getPublic()), Base64.getEncoder().encodeToString(RSA.getPublic().getEncoded()))) {
            List<String> vouched = vouchedAndChecked("RS256 PEM", rs256(info -> info.setPublicKeyContent(content)), tokens);
            assertVouchedExactly("RS256 PEM, a key without an id", withAnyKid, vouched);
        }
    }

    @Test
    void anRs256PublicKeyFileVouchesOnlyForWhatSmallryeAccepts() throws Exception {
        Path file = Files.writeString(dir.resolve("public-key.pem"), pem((RSAPublicKey) RSA.getPublic()));
        Map<String, String> tokens = rs256Tokens();
        List<String> vouched = vouchedAndChecked("RS256 PEM file", rs256(info -> info.setPublicKeyLocation("file:" + file)), tokens);
        assertTrue(vouched.containsAll(ORDINARY), "RS256 PEM file vouches for ordinary tokens: " + vouched);
    }

    @Test
    void anRs256JwkWithAKeyIdVouchesForTokensNamingIt() throws Exception {
        Map<String, String> tokens = rs256Tokens();
        List<String> vouched = vouchedAndChecked("RS256 JWK with kid k1", rs256(info -> info.setPublicKeyContent(rsaJwk("k1"))), tokens);
        assertVouchedExactly("RS256 JWK with kid k1", Set.of("kid k1"), vouched);
    }

    @Test
    void withAudiencesConfiguredItVouchesOnlyForTokensNamingOne() throws Exception {
        Signer signer = rs256(RSA.getPrivate());
        Map<String, String> tokens = rs256Tokens();
        tokens.put("aud chat-clients", token(header("RS256"), claims().put("aud", "chat-clients"), signer));
        tokens.put("aud a list naming chat-clients", token(header("RS256"), claims().put("aud", new JsonArray().add("x").add("chat-clients")), signer));
        tokens.put("aud a list naming none", token(header("RS256"), claims().put("aud", new JsonArray().add("x").add("y")), signer));
        tokens.put("aud an empty list", token(header("RS256"), claims().put("aud", new JsonArray()), signer));
        tokens.put("aud a list with a number", token(header("RS256"), claims().put("aud", new JsonArray().add("chat-clients").add(5)), signer));
        tokens.put("aud a number", token(header("RS256"), claims().put("aud", 5), signer));
        List<String> vouched = vouchedAndChecked("RS256 PEM, audiences", rs256(info -> {
            info.setPublicKeyContent(pem((RSAPublicKey) RSA.getPublic()));
            info.setExpectedAudience(Set.of("chat-clients", "chat-admin"));
        }), tokens);
        assertVouchedExactly("RS256 PEM, audiences", Set.of("aud chat-clients", "aud a list naming chat-clients"), vouched);
    }

    @Test
    void theStartUpProbeReachesTheSignatureCheckAndOnlyItsSignatureFailsIt() throws Exception {
        LeanTokenVerifier lean = LeanTokenVerifier.of(hs256(info -> info.setSecretKeyContent(secretJwk(null))));
        String probe = TokenVerifierWarmUp.probe("HS256", "chat");
        assertNull(lean.verify(probe, NOW), "a made-up signature is never vouched for");
        String input = probe.substring(0, probe.lastIndexOf('.'));
        assertNotNull(lean.verify(input + "." + URL.encodeToString(hmac(SECRET).apply(input)), NOW), "the same token signed is");
    }

    @Test
    void aConfigurationThatAsksForMoreThanItChecksTurnsItOff() {
        Map<String, Consumer<JWTAuthContextInfo>> more = new LinkedHashMap<>();
        more.put("an empty set of audiences", info -> info.setExpectedAudience(Set.of()));
        more.put("a token age", info -> info.setTokenAge(60L));
        more.put("a time to live", info -> info.setMaxTimeToLiveSecs(600L));
        more.put("required claims", info -> info.setRequiredClaims(Set.of("email")));
        more.put("a key id", info -> info.setTokenKeyId("k1"));
        more.put("encrypted tokens", info -> info.setDecryptionKeyLocation("file:/etc/chat/decrypt.pem"));
        more.put("a groups path", info -> info.setGroupsPath("realm/roles"));
        more.put("two algorithms", info -> info.setSignatureAlgorithm(Set.of(SignatureAlgorithm.RS256, SignatureAlgorithm.ES256)));
        more.put("ES256", info -> info.setSignatureAlgorithm(Set.of(SignatureAlgorithm.ES256)));
        more.put("keys from a JWKS URL", info -> {
            info.setPublicKeyContent(null);
            info.setPublicKeyLocation("https://issuer.example/jwks");
        });
        more.put("no key", info -> info.setPublicKeyContent(null));
        more.put("a key in two places", info -> info.setPublicKeyLocation("file:/etc/chat/jwt/public-key.pem"));
        for (Map.Entry<String, Consumer<JWTAuthContextInfo>> option : more.entrySet()) {
            JWTAuthContextInfo info = rs256(plain -> {
                plain.setPublicKeyContent(pem((RSAPublicKey) RSA.getPublic()));
                option.getValue().accept(plain);
            });
            assertNotNull(LeanTokenVerifier.unsupported(info), option.getKey() + " turns the lean verifier off");
        }
    }

    @Test
    void keysWeakerThanJose4jAcceptsSeveralKeysOrKeysOfAnotherKindAreNotTaken() {
        assertThrows(IllegalArgumentException.class, () -> LeanTokenVerifier.of(hs256(info -> info.setSecretKeyContent(
                new JsonObject().put("kty", "oct").put("k", URL.encodeToString(new byte[16])).encode()))), "an HS256 secret of 128 bits");
        assertThrows(IllegalArgumentException.class,
                () -> LeanTokenVerifier.of(rs256(info -> info.setPublicKeyContent(pem((RSAPublicKey) rsa(1024).getPublic())))),
                "an RSA key of 1024 bits");
        assertThrows(IllegalArgumentException.class,
                () -> LeanTokenVerifier.of(rs256(info -> info.setPublicKeyContent(new JsonObject().put("keys", new JsonArray().add(new JsonObject(rsaJwk("k1"))).add(new JsonObject(rsaJwk("k2")))).encode()))),
                "a JWKS of two keys");
        assertThrows(IllegalArgumentException.class,
                () -> LeanTokenVerifier.of(hs256(info -> info.setSecretKeyContent(new JsonObject(secretJwk(null)).put("alg", "HS512").encode()))),
                "a JWK for another algorithm");
        assertThrows(IllegalArgumentException.class,
                () -> LeanTokenVerifier.of(rs256(info -> info.setSecretKeyContent(secretJwk(null)))),
                "RS256 with only a secret");
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
