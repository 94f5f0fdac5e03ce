package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.publish.Accepted;
import dev.chat.gateway.publish.MessagePublisher;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection that joined its own direct-message room gets the room's messages as a member; once it leaves, through its
 * user's channel again. Leaving while the other user's messages stream in, it gets each one once, in order.
 */
@QuarkusTest
class DirectRoomLeaveTest {

    static final int ROUNDS = 12;
    static final int BURST = 30;

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    MessagePublisher publisher;

    @Inject
    RedisDataSource redis;

    @BeforeEach
    void setUp() {
        // What history's start writes: without it, the gateway answers joins `unavailable`.
        redis.execute("SET", RoomKeys.GENERATION, "test", "NX");
    }

    @Test
    void leavingTheDirectMessageRoomDuringABurstLosesNothingAndRepeatsNothing() {
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        String alice = "alice-" + suffix;
        String bob = "bob-" + suffix;
        String room = RoomNames.direct(alice, bob);
        List<Long> received = new ArrayList<>();
        long last = 0;
        try (ChatClient client = ChatClient.welcomed(vertx, base, alice)) {
            for (int round = 0; round < ROUNDS; round++) {
                client.send(new JsonObject().put("type", "join").put("room", room).put("since", last));
                JsonObject joined = awaitFrame(client, "joined", room, received);
                assertTrue(joined.getBoolean("recovered"), "the gap since " + last + " replayed in-band");

                List<CompletableFuture<Accepted>> burst = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    burst.add(publisher.publish(room, bob, "r" + round + "-" + i, null).subscribeAsCompletionStage());
                }
                // Leave after a different number of this round's messages each round, so the leave meets the burst at
                // different points of its way through both paths.
                int leaveAfter = 1 + round * (BURST - 2) / ROUNDS;
                int before = received.size();
                while (received.size() - before < leaveAfter) {
                    collect(client, room, received);
                }
                client.send(new JsonObject().put("type", "leave").put("room", room));
                awaitFrame(client, "left", room, received);

                long top = burst.stream().map(CompletableFuture::join).mapToLong(Accepted::seq).max().orElseThrow();
                while (received.isEmpty() || received.get(received.size() - 1) < top) {
                    collect(client, room, received);
                }
                last = top;
            }
            List<Long> expected = LongStream.rangeClosed(1, last).boxed().toList();
            List<Long> missing = new ArrayList<>(expected);
            missing.removeAll(received);
            assertEquals(expected, received, "every message once, in seq order; missing: " + missing);
            assertTrue(client.pollNothing(300) == null, "nothing after the last message");
        }
    }

    /** Waits for the next frame of {@code type} for the room, recording the room's messages that come before it. */
    private static JsonObject awaitFrame(ChatClient client, String type, String room, List<Long> received) {
        while (true) {
            JsonObject frame = client.pollAny(5_000);
            assertNotNull(frame, "no " + type + " within 5 s");
            if (type.equals(frame.getString("type")) && room.equals(frame.getString("room"))) {
                return frame;
            }
            record(frame, room, received);
        }
    }

    /** Takes the next frame, waiting at most 5 s, and records it if it is a message of the room. */
    private static void collect(ChatClient client, String room, List<Long> received) {
        JsonObject frame = client.pollAny(5_000);
        assertNotNull(frame, "no frame within 5 s; received so far: " + received);
        record(frame, room, received);
    }

    private static void record(JsonObject frame, String room, List<Long> received) {
        if ("message".equals(frame.getString("type")) && room.equals(frame.getString("room"))) {
            received.add(frame.getLong("seq"));
        } else {
            assertTrue(frame.getString("type").startsWith("presence"), "an unexpected frame: " + frame);
        }
    }
}
