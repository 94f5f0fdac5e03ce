package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A join with {@code since} replays the gap in chunks, each once the one before reached the socket. A leave, or a
 * second join of the same room, that arrives while the replay runs ends it: nothing of the old replay follows
 * {@code left}, and a repeated join's replay is the only one, in order and without duplicates.
 */
@QuarkusTest
class RejoinDuringReplayTest {

    /** Forty chunks of the default fifty: the replay is still running when the client's next frame is read. */
    static final int MESSAGES = 2000;

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    String room;

    @BeforeEach
    void aRoomWithALongRecentLog() {
        redis.execute("SET", "chat:generation", "test", "NX");
        room = "replay-" + UUID.randomUUID().toString().substring(0, 8);
        for (int seq = 1; seq <= MESSAGES; seq++) {
            RoomLogs.acceptWithoutPublishing(redis, room, "m" + seq);
        }
    }

    /** The next frame that is not presence (the join may bring presence frames; they are not what is tested). */
    static JsonObject nextOfTheRoom(ChatClient client) {
        return client.next(frame -> !frame.getString("type", "").startsWith("presence"));
    }

    @Test
    void aLeaveDuringTheReplayEndsIt_nothingOfTheRoomFollowsLeft() {
        try (ChatClient bob = ChatClient.welcomed(vertx, base, "bob-" + room)) {
            bob.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("cid", "j"));
            bob.send(new JsonObject().put("type", "leave").put("room", room).put("cid", "l"));

            assertEquals("joined", nextOfTheRoom(bob).getString("type"));
            long expected = 1;
            JsonObject frame;
            while (!"left".equals((frame = nextOfTheRoom(bob)).getString("type"))) {
                assertEquals("message", frame.getString("type"), frame::encode);
                assertEquals(expected++, frame.getLong("seq"), "the replay is in order up to the leave");
            }
            assertTrue(expected <= MESSAGES, "the leave was read while the replay ran (" + (expected - 1) + " replayed)");
            assertNull(bob.pollNothing(1000), "nothing of the room after left");
        }
    }

    @Test
    void aRepeatedJoinDuringTheReplayReplacesIt_oneReplayInOrderWithoutDuplicates() {
        try (ChatClient bob = ChatClient.welcomed(vertx, base, "bob-" + room)) {
            bob.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("cid", "first"));
            bob.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("cid", "second"));

            JsonObject frame = nextOfTheRoom(bob);
            assertEquals("first", frame.getString("cid"));
            long expected = 1;
            while (!"joined".equals((frame = nextOfTheRoom(bob)).getString("type"))) {
                assertEquals(expected++, frame.getLong("seq"), "the first replay is in order up to the second join");
            }
            assertEquals("second", frame.getString("cid"));
            assertTrue(expected <= MESSAGES, "the second join was read while the first replay ran");
            for (long seq = 1; seq <= MESSAGES; seq++) {
                frame = nextOfTheRoom(bob);
                assertEquals("message", frame.getString("type"), "only the second replay follows its joined");
                assertEquals(seq, frame.getLong("seq"), "the second replay from its own since, in order, each once");
            }
            assertNull(bob.pollNothing(1000), "nothing more: the first replay ended at the second join");
        }
    }
}
