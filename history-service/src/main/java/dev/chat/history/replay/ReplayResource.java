package dev.chat.history.replay;

import dev.chat.common.rooms.RoomNames;
import dev.chat.history.auth.Callers;
import dev.chat.history.store.MessageRepository;
import dev.chat.history.store.StoredMessage;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.vertx.core.http.HttpServerRequest;

/** The history API of PROTOCOL.md: a room's stored messages, paged by seq, for clients that missed them. */
@Path("/rooms/{room}/messages")
@Produces(MediaType.APPLICATION_JSON)
public class ReplayResource {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;
    /**
     * The most bytes one message can take in a page: a gateway's 4,000 characters of text, 64 of sender and 200 of room,
     * each written as a six-byte escape at worst, and its numbers and keys.
     */
    static final long LARGEST_MESSAGE = (4_000 + 64 + 200) * 6 + 100;
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}");

    private final MessageRepository repository;
    private final CurrentIdentityAssociation identity;
    private final ReadAdmission admission;

    public ReplayResource(MessageRepository repository, CurrentIdentityAssociation identity, ReadAdmission admission) {
        this.repository = repository;
        this.identity = identity;
        this.admission = admission;
    }

    /**
     * With {@code after}: messages with {@code seq > after}. With {@code before}: the {@code limit}
     * messages just below it. With neither: the latest {@code limit}. Always ascending. An empty
     * parameter ({@code limit=}) counts as not given.
     */
    @GET
    public Uni<MessagePage> messages(@PathParam("room") String room, @QueryParam("after") String after,
            @QueryParam("before") String before, @QueryParam("limit") String limit, @Context HttpServerRequest request) {
        if (!RoomNames.isValidRoom(room)) {
            throw ApiException.badRequest("invalid room name");
        }
        if (after != null && before != null) {
            throw ApiException.badRequest("give either after or before, not both");
        }
        Long afterSeq = position("after", after);
        Long beforeSeq = position("before", before);
        int size = PageLimit.of(limit, DEFAULT_LIMIT, MAX_LIMIT);

        // Authentication is lazy (so its failures reach ApiErrors); the deferred identity is the
        // non-blocking way to the token on the event loop.
        return identity.getDeferredIdentity().chain(caller -> {
            String user = Callers.subject(caller);
            if (!RoomNames.isValidUser(user)) {
                // As GET /users/me/rooms: a token whose subject no gateway would accept names no user.
                throw new ApiException(401, "unauthorized", "the token's subject is not a valid user id");
            }
            if (!RoomNames.mayAccess(user, room)) {
                throw new ApiException(403, "forbidden", "direct messages of other users");
            }
            return admission.run(user, request.connection(), size * LARGEST_MESSAGE, () -> page(room, afterSeq, beforeSeq, size));
        });
    }

    private Uni<MessagePage> page(String room, Long afterSeq, Long beforeSeq, int size) {
        // The room's row first: it says where its contiguously stored messages end (and a room without one is unknown).
        return repository.room(room).chain(known -> {
            if (known == null) {
                throw new ApiException(404, "not_found", "no messages stored for this room");
            }
            long storedThrough = known.storedSeq;
            // One more than asked tells whether the page is the last one.
            Uni<List<StoredMessage>> rows;
            if (afterSeq != null) {
                rows = repository.after(room, afterSeq, storedThrough, size + 1);
            } else if (beforeSeq != null) {
                rows = repository.before(room, beforeSeq, storedThrough, size + 1);
            } else {
                rows = repository.latest(room, storedThrough, size + 1);
            }
            boolean ascending = afterSeq != null;
            return rows.map(found -> {
                boolean hasMore = found.size() > size;
                List<StoredMessage> page = new ArrayList<>(hasMore ? found.subList(0, size) : found);
                if (!ascending) {
                    Collections.reverse(page);
                }
                return new MessagePage(room, page.stream().map(ReplayResource::message).toList(), hasMore, storedThrough);
            });
        }).onFailure(failure -> !(failure instanceof ApiException)).transform(StoreUnavailable::new);
    }

    private static ReplayMessage message(StoredMessage m) {
        return new ReplayMessage(m.room, m.seq, m.sender, m.text, m.ts);
    }

    private static Long position(String name, String value) {
        if (value == null) {
            return null;
        }
        if (!NUMBER.matcher(value).matches()) {
            throw ApiException.badRequest(name + " must be a non-negative integer");
        }
        return Long.parseLong(value);
    }
}
