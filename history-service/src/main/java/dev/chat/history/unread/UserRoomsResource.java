package dev.chat.history.unread;

import dev.chat.common.rooms.RoomNames;
import dev.chat.history.HistoryConfig;
import dev.chat.history.auth.Callers;
import dev.chat.history.replay.ApiException;
import dev.chat.history.replay.PageLimit;
import dev.chat.history.replay.ReadAdmission;
import dev.chat.history.replay.StoreUnavailable;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /users/me/rooms} of PROTOCOL.md: what a reconnecting client missed, room by room. Only ever the caller's
 * own rooms: the user is the token's subject, and no parameter names anyone else.
 */
@Path("/users/me/rooms")
@Produces(MediaType.APPLICATION_JSON)
public class UserRoomsResource {

    private final UnreadRepository repository;
    private final CurrentIdentityAssociation identity;
    private final ReadAdmission admission;
    private final int unreadCap;

    public UserRoomsResource(UnreadRepository repository, CurrentIdentityAssociation identity, ReadAdmission admission,
            HistoryConfig config) {
        this.repository = repository;
        this.identity = identity;
        this.admission = admission;
        this.unreadCap = config.unread().cap();
    }

    /** Rooms per answer without {@code limit}, and at most: a user's list costs a bounded answer and bounded unread counts. */
    static final int MAX_LIMIT = 1_000;
    /** The most bytes one room can take in the answer: a 200-character name written as six-byte escapes at worst, and its numbers. */
    static final long LARGEST_ROOM = 200 * 6 + 120;

    @GET
    public Uni<UserRooms> rooms(@QueryParam("limit") String limit, @Context HttpServerRequest request) {
        int size = PageLimit.of(limit, MAX_LIMIT, MAX_LIMIT);
        // Authentication is lazy (so its failures reach ApiErrors); the deferred identity is the non-blocking way to
        // the token on the event loop.
        return identity.getDeferredIdentity().chain(caller -> {
            String user = Callers.subject(caller);
            if (!RoomNames.isValidUser(user)) {
                throw new ApiException(401, "unauthorized", "the token's subject is not a valid user id");
            }
            return admission.run(user, request.connection(), size * LARGEST_ROOM, () -> repository.rooms(user, unreadCap, size)
                    // The query only finds the caller's rooms; this keeps someone else's direct messages out even if a
                    // malformed room name ever reached the store.
                    .map(rooms -> new UserRooms(user, rooms.stream().limit(size).filter(r -> RoomNames.mayAccess(user, r.room())).toList(),
                            rooms.size() > size))
                    .onFailure().transform(StoreUnavailable::new));
        });
    }
}
