package dev.chat.gateway.auth;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.rest.ApiError;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.jwt.build.Jwt;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Development login: trades a user name for a token signed with the development secret, so the web
 * page works locally without an identity provider. Off unless {@code chat.dev-login.enabled=true};
 * a production gateway refuses to start with it on (see {@link SigningKeyGuard}).
 */
@Path("/dev/login")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class DevLoginResource {

    @RegisterForReflection
    public record Login(String user) {
    }

    @RegisterForReflection
    public record Issued(String user, String token, long expiresAt) {
    }

    private static final Duration LIFETIME = Duration.ofHours(12);

    private final boolean enabled;
    private final String issuer;

    public DevLoginResource(@ConfigProperty(name = "chat.dev-login.enabled", defaultValue = "false") boolean enabled,
            @ConfigProperty(name = "mp.jwt.verify.issuer") String issuer) {
        this.enabled = enabled;
        this.issuer = issuer;
    }

    @POST
    public Issued login(Login login) {
        if (!enabled) {
            throw ApiError.of(404, "not_found", "development login is disabled");
        }
        if (login == null || !RoomNames.isValidUser(login.user())) {
            throw ApiError.badRequest("user must match [A-Za-z0-9_.-]{1,64}");
        }
        long expiresAt = System.currentTimeMillis() / 1000 + LIFETIME.toSeconds();
        String token = Jwt.subject(login.user()).issuer(issuer).expiresAt(expiresAt).sign();
        return new Issued(login.user(), token, expiresAt);
    }
}
