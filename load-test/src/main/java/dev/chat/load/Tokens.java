package dev.chat.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Where the clients' tokens come from: minted here as HS256 JWTs (issuer {@code chat}, sub = user id),
 * the development setting of both the gateways and the Socket.IO peer, or printed by a command for
 * deployments whose keys the tool must not hold (RS256 from an identity provider).
 */
public final class Tokens {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final String secret;
    private final String command;
    private final Duration ttl;
    private final String issuer;

    public Tokens(String secret, String command, Duration ttl, String issuer) {
        if ((secret == null) == (command == null)) {
            throw new IllegalArgumentException("give exactly one of --jwt-secret and --token-command");
        }
        this.secret = secret;
        this.command = command;
        this.ttl = ttl;
        this.issuer = issuer;
    }

    public String tokenFor(String user) {
        if (secret != null) {
            long now = System.currentTimeMillis() / 1000;
            String payload = "{\"sub\":\"" + user + "\",\"iss\":\"" + issuer + "\",\"iat\":" + now + ",\"exp\":"
                    + (now + ttl.toSeconds()) + "}";
            return sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, secret);
        }
        return runCommand(user);
    }

    /** A compact HS256 JWT of these exact header and payload texts. */
    static String sign(String headerJson, String payloadJson, String secret) {
        String signingInput = B64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return signingInput + "." + B64.encodeToString(mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Runs the command through sh with {user} replaced (or the user appended); its first output line is the token. */
    private String runCommand(String user) {
        String line = command.contains("{user}") ? command.replace("{user}", user) : command + " " + user;
        try {
            Process p = new ProcessBuilder("sh", "-c", line).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                throw new IllegalStateException("token command failed for " + user + ": " + line);
            }
            int nl = out.indexOf('\n');
            return nl < 0 ? out : out.substring(0, nl).trim();
        } catch (IOException e) {
            throw new IllegalStateException("token command failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
