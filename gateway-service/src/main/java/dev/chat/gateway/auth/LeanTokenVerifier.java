package dev.chat.gateway.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.smallrye.jwt.KeyFormat;
import io.smallrye.jwt.KeyProvider;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.util.KeyUtils;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.auth.impl.jose.JWS;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.OctetSequenceJsonWebKey;
import org.jose4j.jwk.RsaJsonWebKey;

/**
 * Verifies the tokens it can vouch for with Vert.x's JWS (JDK {@code Mac} and {@code Signature}) and Jackson, and says
 * nothing about the others, which smallrye-jwt then verifies as before. smallrye-jwt's jose4j allocates about 98 KB per
 * token (two 32 KB lexer buffers, Base64 buffers) and spends 8-11 µs on an HS256 token once warm; this about 5 KB and
 * 2 µs (BENCHMARKS.md). A reconnect storm verifies thousands of tokens a second, and that garbage was about 30 % of a
 * gateway's allocation in one.
 * <p>
 * What it accepts is a subset of what smallrye-jwt accepts with the same configuration, so it can never let in a token
 * smallrye-jwt would refuse: a compact JWS whose signature has the key's exact length; whose header and claims are
 * strict UTF-8 JSON objects (no duplicate names, no comments, no numbers beyond a long or a finite double); whose
 * header names only the configured algorithm (plus {@code typ "JWT"} and {@code kid}); signed with the configured key;
 * from the configured issuer, with a non-empty {@code sub}, integer {@code iat} and {@code exp} (in that order), not
 * expired and not before its {@code nbf} without any clock skew, naming a configured audience (if any) in {@code aud},
 * groups (if any) as a list of strings, a string {@code jti} if any, and no {@code roleMappings}. Anything else, a bad
 * signature included, it leaves to smallrye-jwt, so every refusal and its reason stay smallrye-jwt's. A configuration
 * that asks for more than these rules check (a token age, required claims, a JWKS URL, encrypted tokens, an algorithm
 * other than HS256 or RS256...) turns it off: {@link #unsupported} says why.
 */
final class LeanTokenVerifier {

    private static final Set<String> HEADER = Set.of("alg", "typ", "kid");
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder URL_DECODER = Base64.getUrlDecoder();
    /** Jackson's defaults (no comments, no trailing commas) plus refusing duplicate names and anything after the object. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final String algorithm;
    private final String issuer;
    /** The audiences of which a token's {@code aud} must name one; {@code null} when none is configured. */
    private final Set<String> audiences;
    /** With a key from a JWK, the token's {@code kid} must be the key's (both absent included); with a PEM key, any. */
    private final boolean keyIdMustMatch;
    private final String keyId;
    /** The signature's length in base64url characters: Vert.x's RSA check pads a shorter one, the JDK's refuses it. */
    private final int signatureChars;
    /** Vert.x verifies under a lock per key: one verifier per thread (the event loops) instead. */
    private final ThreadLocal<JWS> signatures;

    private LeanTokenVerifier(JWTAuthContextInfo info, String algorithm, boolean keyIdMustMatch, String keyId, int signatureBytes,
            Supplier<JWK> key) {
        this.algorithm = algorithm;
        this.issuer = info.getIssuedBy();
        this.audiences = info.getExpectedAudience() == null ? null : Set.copyOf(info.getExpectedAudience());
        this.keyIdMustMatch = keyIdMustMatch;
        this.keyId = keyId;
        this.signatureChars = (signatureBytes * 4 + 2) / 3;
        this.signatures = ThreadLocal.withInitial(() -> new JWS(key.get()));
    }

    /** Why {@code info} asks for more than this verifier checks, or {@code null} when it does not. */
    static String unsupported(JWTAuthContextInfo info) {
        if (info.getSignatureAlgorithm() == null || info.getSignatureAlgorithm().size() != 1) {
            return "more than one signature algorithm";
        }
        SignatureAlgorithm algorithm = info.getSignatureAlgorithm().iterator().next();
        if (algorithm != SignatureAlgorithm.HS256 && algorithm != SignatureAlgorithm.RS256) {
            return "algorithm " + algorithm.getAlgorithm();
        }
        if (info.getIssuedBy() == null) {
            return "no issuer";
        }
        if (info.getExpectedAudience() != null && info.getExpectedAudience().isEmpty()) {
            return "an empty set of audiences";
        }
        if (info.getMaxTimeToLiveSecs() != null || info.getTokenAge() != null) {
            return "a token age";
        }
        if (info.getRequiredClaims() != null && !info.getRequiredClaims().isEmpty()) {
            return "required claims";
        }
        if (info.getTokenKeyId() != null) {
            return "a key id";
        }
        if (info.getDecryptionKeyLocation() != null || info.getDecryptionKeyContent() != null
                || info.getPrivateDecryptionKey() != null || info.getSecretDecryptionKey() != null) {
            return "encrypted tokens";
        }
        if (info.getSubjectPath() != null || info.getDefaultSubjectClaim() != null || info.getGroupsPath() != null
                || info.getDefaultGroupsClaim() != null) {
            return "claim paths or defaults";
        }
        if (info.isVerifyCertificateThumbprint()) {
            return "certificate thumbprints";
        }
        if (info.getKeyProvider() != null && info.getKeyProvider() != KeyProvider.DEFAULT
                || info.getKeyFormat() != null && info.getKeyFormat() != KeyFormat.ANY) {
            return "a key provider or key format";
        }
        String location = info.getPublicKeyLocation();
        if (location != null && (location.startsWith("http:") || location.startsWith("https:"))) {
            return "keys from a URL";
        }
        int sources = count(info.getSecretVerificationKey(), info.getSecretKeyContent(), info.getPublicVerificationKey(),
                info.getPublicKeyContent(), location);
        return sources == 1 ? null : sources == 0 ? "no verification key" : "more than one verification key";
    }

    private static int count(Object... values) {
        int set = 0;
        for (Object value : values) {
            if (value != null) {
                set++;
            }
        }
        return set;
    }

    /**
     * A verifier for {@code info}, which {@link #unsupported} accepts.
     *
     * @throws IllegalArgumentException when its key is not one this verifier takes (several keys, a JWK for another
     *                                  algorithm, a key smaller than jose4j requires)
     */
    static LeanTokenVerifier of(JWTAuthContextInfo info) throws Exception {
        String algorithm = info.getSignatureAlgorithm().iterator().next().getAlgorithm();
        if (algorithm.equals("HS256")) {
            byte[] secret;
            boolean fromJwk = info.getSecretKeyContent() != null;
            String kid = null;
            if (fromJwk) {
                OctetSequenceJsonWebKey jwk = single(KeyUtils.loadJsonWebKeys(info.getSecretKeyContent()), OctetSequenceJsonWebKey.class, algorithm);
                secret = jwk.getOctetSequence();
                kid = jwk.getKeyId();
            } else if (info.getSecretVerificationKey() != null) {
                secret = info.getSecretVerificationKey().getEncoded();
            } else {
                throw new IllegalArgumentException("an HS256 key from a location");
            }
            if (secret == null || secret.length < 32) {
                throw new IllegalArgumentException("an HS256 key shorter than 256 bits");
            }
            JsonObject jwk = new JsonObject().put("kty", "oct").put("alg", algorithm).put("k", URL.encodeToString(secret));
            return new LeanTokenVerifier(info, algorithm, fromJwk, kid, 32, () -> new JWK(jwk));
        }
        PublicKey key = info.getPublicVerificationKey();
        String content = info.getPublicKeyLocation() != null ? KeyUtils.readKeyContent(info.getPublicKeyLocation()) : info.getPublicKeyContent();
        if (key == null && content == null) {
            throw new IllegalArgumentException("an RS256 configuration without a public key");
        }
        boolean fromJwk = key == null && content.strip().startsWith("{");
        String kid = null;
        if (fromJwk) {
            RsaJsonWebKey jwk = single(KeyUtils.loadJsonWebKeys(content), RsaJsonWebKey.class, algorithm);
            key = jwk.getRsaPublicKey();
            kid = jwk.getKeyId();
        } else if (key == null) {
            key = KeyUtils.decodePublicKey(content, SignatureAlgorithm.RS256);
        }
        if (!(key instanceof RSAPublicKey rsa) || rsa.getModulus().bitLength() < 2048) {
            throw new IllegalArgumentException("not an RSA key of at least 2048 bits");
        }
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        return new LeanTokenVerifier(info, algorithm, fromJwk, kid, (rsa.getModulus().bitLength() + 7) / 8,
                () -> new JWK(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(pem)));
    }

    private static <K extends JsonWebKey> K single(List<JsonWebKey> keys, Class<K> type, String algorithm) {
        if (keys == null || keys.size() != 1 || !type.isInstance(keys.get(0))) {
            throw new IllegalArgumentException("not a single " + type.getSimpleName());
        }
        K key = type.cast(keys.get(0));
        if (key.getAlgorithm() != null && !key.getAlgorithm().equals(algorithm) || key.getUse() != null && !key.getUse().equals("sig")) {
            throw new IllegalArgumentException("a JWK for another algorithm or use");
        }
        return key;
    }

    /**
     * The user {@code token} proves, or {@code null} when this verifier cannot vouch for it (which does not mean it is
     * invalid: smallrye-jwt decides then).
     */
    ConnectionUser verify(String token, long nowSeconds) {
        if (!isCompactJws(token)) {
            return null;
        }
        int headerEnd = token.indexOf('.');
        int claimsEnd = token.indexOf('.', headerEnd + 1);
        if (token.length() - claimsEnd - 1 != signatureChars) {
            return null;
        }
        try {
            JsonNode header = strictJson(token.substring(0, headerEnd));
            JsonNode claims = strictJson(token.substring(headerEnd + 1, claimsEnd));
            ConnectionUser user = header == null || claims == null || !headerAccepted(header) ? null : accepted(claims, nowSeconds);
            if (user == null || !signatures.get().verify(URL_DECODER.decode(token.substring(claimsEnd + 1)),
                    token.substring(0, claimsEnd).getBytes(StandardCharsets.US_ASCII))) {
                return null;
            }
            return user;
        } catch (RuntimeException notVouchedFor) {
            return null;
        }
    }

    /**
     * A segment's JSON object, or {@code null} unless it is one in strict UTF-8 (no byte order mark, nothing malformed:
     * Jackson would guess other encodings and mend bad bytes) with only numbers jose4j reads too.
     */
    private static JsonNode strictJson(String segment) {
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(URL_DECODER.decode(segment))).toString();
        } catch (CharacterCodingException malformed) {
            return null;
        }
        if (json.startsWith("\uFEFF")) {
            return null;
        }
        try {
            JsonNode node = JSON.readTree(json);
            return node.isObject() && plainNumbers(node) ? node : null;
        } catch (JsonProcessingException notJson) {
            return null;
        }
    }

    /** Whether every number in {@code node} is a long or a finite double (jose4j fails on the others). */
    private static boolean plainNumbers(JsonNode node) {
        if (node.isNumber()) {
            return node.isInt() || node.isLong() || node.isDouble() && Double.isFinite(node.doubleValue());
        }
        for (JsonNode child : node) {
            if (!plainNumbers(child)) {
                return false;
            }
        }
        return true;
    }

    private boolean headerAccepted(JsonNode header) {
        for (Iterator<String> names = header.fieldNames(); names.hasNext();) {
            if (!HEADER.contains(names.next())) {
                return false;
            }
        }
        JsonNode typ = header.get("typ");
        if (!algorithm.equals(text(header.get("alg"))) || typ != null && !"JWT".equals(text(typ))) {
            return false;
        }
        if (!keyIdMustMatch) {
            return true;
        }
        JsonNode kid = header.get("kid");
        return kid == null || kid.isNull() ? keyId == null : keyId != null && keyId.equals(text(kid));
    }

    private ConnectionUser accepted(JsonNode claims, long now) {
        String user = text(claims.get("sub"));
        if (!issuer.equals(text(claims.get("iss"))) || user == null || user.isEmpty()
                || audiences != null && !namesAnAudience(claims.get("aud"))
                || claims.has("jti") && text(claims.get("jti")) == null || claims.has("roleMappings")) {
            return null;
        }
        Long expiry = integer(claims.get("exp"));
        Long issued = integer(claims.get("iat"));
        Long notBefore = claims.has("nbf") ? integer(claims.get("nbf")) : Long.valueOf(now);
        if (expiry == null || expiry <= now || expiry > Long.MAX_VALUE / 1000 || issued == null || issued >= expiry
                || notBefore == null || notBefore > now) {
            return null;
        }
        Set<String> roles = roles(claims.get("groups"));
        return roles == null ? null : new ConnectionUser(user, roles, expiry * 1000);
    }

    /** Whether {@code aud}, one string or a list of strings, names one of the configured audiences. */
    private boolean namesAnAudience(JsonNode aud) {
        if (aud != null && aud.isTextual()) {
            return audiences.contains(aud.asText());
        }
        if (aud == null || !aud.isArray()) {
            return false;
        }
        boolean named = false;
        for (JsonNode value : aud) {
            if (!value.isTextual()) {
                return false;
            }
            named |= audiences.contains(value.asText());
        }
        return named;
    }

    private static String text(JsonNode node) {
        return node != null && node.isTextual() ? node.asText() : null;
    }

    private static Long integer(JsonNode node) {
        return node != null && (node.isInt() || node.isLong()) ? node.longValue() : null;
    }

    /** The groups as roles, none when absent, {@code null} when not a list of strings (smallrye-jwt splits a string). */
    private static Set<String> roles(JsonNode groups) {
        if (groups == null) {
            return Set.of();
        }
        if (!groups.isArray()) {
            return null;
        }
        Set<String> roles = new HashSet<>();
        for (JsonNode group : groups) {
            if (!group.isTextual()) {
                return null;
            }
            roles.add(group.asText());
        }
        return Set.copyOf(roles);
    }

    /** Three non-empty base64url segments and nothing else, which Vert.x's split and decoder take more loosely. */
    private static boolean isCompactJws(String token) {
        int dots = 0;
        char previous = '.';
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                if (previous == '.' || ++dots > 2) {
                    return false;
                }
            } else if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
            previous = c;
        }
        return dots == 2 && previous != '.';
    }
}
