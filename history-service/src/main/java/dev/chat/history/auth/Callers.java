package dev.chat.history.auth;

import io.quarkus.security.identity.SecurityIdentity;
import java.security.Principal;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** The user behind a REST call, in one place: the token's {@code sub}, as PROTOCOL.md defines the user id. */
public final class Callers {

    private Callers() {
    }

    /** The token's {@code sub}, or null when the caller has no JWT. */
    public static String subject(SecurityIdentity caller) {
        Principal principal = caller.getPrincipal();
        return principal instanceof JsonWebToken token ? token.getSubject() : null;
    }
}
