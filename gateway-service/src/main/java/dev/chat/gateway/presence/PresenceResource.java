package dev.chat.gateway.presence;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.rest.ApiError;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Presence over REST, for dashboards and for clients that are not connected. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class PresenceResource {

    @RegisterForReflection
    public record RoomPresence(String room, java.util.List<String> users) {
    }

    private final PresenceRegistry presence;
    private final JsonWebToken token;
    private final PresenceQueryBudgets budgets;

    public PresenceResource(PresenceRegistry presence, JsonWebToken token, PresenceQueryBudgets budgets) {
        this.presence = presence;
        this.token = token;
        this.budgets = budgets;
    }

    @GET
    @Path("rooms/{room}/presence")
    public Uni<RoomPresence> room(@PathParam("room") String room) {
        if (!RoomNames.isValidRoom(room)) {
            throw ApiError.badRequest("room must match [A-Za-z0-9_.-]{1,64} or be dm:<a>:<b>");
        }
        if (!RoomNames.mayAccess(token.getSubject(), room)) {
            throw ApiError.forbidden("room " + room + " is not allowed for this user");
        }
        budgets.spend(token.getSubject());
        return presence.users(room).map(users -> new RoomPresence(room, users))
                .onFailure().transform(ApiError::unavailable);
    }

    @GET
    @Path("users/{id}/presence")
    public Uni<OnlineStatus> user(@PathParam("id") String id) {
        if (!RoomNames.isValidUser(id)) {
            throw ApiError.badRequest("user id must match [A-Za-z0-9_.-]{1,64}");
        }
        budgets.spend(token.getSubject());
        return presence.status(id).onFailure().transform(ApiError::unavailable);
    }
}
