package dev.chat.gateway.publish;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.rest.ApiError;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Server publish API: a backend or bot posts into a room with a service token. It goes through the
 * same publish script as a WebSocket send, so it gets a seq, reaches every gateway and is stored.
 */
@Path("/rooms/{room}/messages")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class PublishResource {

    @RegisterForReflection
    public record PostMessage(String text) {
    }

    @RegisterForReflection
    public record Posted(String room, long seq, long ts, String cid) {
    }

    private static final int MAX_KEY = 64;

    private final MessagePublisher publisher;
    private final JsonWebToken token;
    private final dev.chat.gateway.GatewayConfig config;

    public PublishResource(MessagePublisher publisher, JsonWebToken token, dev.chat.gateway.GatewayConfig config) {
        this.publisher = publisher;
        this.token = token;
        this.config = config;
    }

    @POST
    @RolesAllowed("${chat.service-role:chat-service}")
    public Uni<Posted> post(@PathParam("room") String room, @HeaderParam("Idempotency-Key") String idempotencyKey, PostMessage body) {
        if (!RoomNames.isValidRoom(room)) {
            throw ApiError.badRequest("room must match [A-Za-z0-9_.-]{1,64} or be dm:<a>:<b>");
        }
        String sender = token.getSubject();
        if (!RoomNames.isValidUser(sender)) {
            throw ApiError.badRequest("token subject is not a valid user id");
        }
        if (!RoomNames.mayAccess(sender, room)) {
            throw ApiError.forbidden("room " + room + " is not allowed for this service");
        }
        if (body == null || body.text() == null || body.text().isEmpty()) {
            throw ApiError.badRequest("body must be {\"text\": \"...\"} with non-empty text");
        }
        if (body.text().codePointCount(0, body.text().length()) > config.limits().textChars()) {
            throw ApiError.of(413, "too_large", "text has more than " + config.limits().textChars() + " characters");
        }
        if (idempotencyKey != null && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_KEY)) {
            throw ApiError.badRequest("Idempotency-Key must have 1 to " + MAX_KEY + " characters");
        }
        return publisher.publish(room, sender, body.text(), idempotencyKey)
                .map(accepted -> new Posted(room, accepted.seq(), accepted.ts(), idempotencyKey))
                .onFailure(RoomUnavailable.class).transform(ApiError::unconfirmed);
    }
}
