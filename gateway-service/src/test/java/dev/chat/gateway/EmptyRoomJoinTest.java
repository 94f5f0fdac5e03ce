package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
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
 * Joining a room nobody has posted in writes nothing to Redis, so a client joining ever new names cannot grow it; the
 * epoch such a join announces is the one the room's first message keeps, so a client that joined early recovers with it.
 */
@QuarkusTest
class EmptyRoomJoinTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    private final String suffix = UUID.randomUUID().toString().substring(0, 6);

    @BeforeEach
    void generation() {
        redis.execute("SET", "chat:generation", "test", "NX");
    }

    @Test
    void joinsOfRoomsNobodyPostedInLeaveNoKeyBehind() {
        try (ChatClient client = ChatClient.welcomed(vertx, base, "wanderer-" + suffix)) {
            for (int i = 0; i < 20; i++) {
                String room = "empty-" + suffix + "-" + i;
                client.send(new JsonObject().put("type", "join").put("room", room));
                JsonObject joined = client.next("joined");
                assertEquals(0, joined.getLong("seq"));
                assertEquals(0, redis.execute("EXISTS", RoomKeys.seq(room), RoomKeys.epoch(room), RoomKeys.log(room)).toInteger(),
                        "no key of " + room + " in Redis");
            }
        }
    }

    @Test
    void aClientThatJoinedAnEmptyRoomRecoversItsFirstMessagesWithTheEpochItWasGiven() {
        String room = "first-" + suffix;
        String epoch;
        try (ChatClient early = ChatClient.welcomed(vertx, base, "early-" + suffix)) {
            early.send(new JsonObject().put("type", "join").put("room", room));
            epoch = early.next("joined").getString("epoch");
        }
        try (ChatClient poster = ChatClient.welcomed(vertx, base, "poster-" + suffix)) {
            poster.join(room);
            for (int i = 1; i <= 3; i++) {
                poster.send(new JsonObject().put("type", "send").put("room", room).put("text", "m" + i).put("cid", "c" + i));
                assertEquals(i, poster.next("ack").getLong("seq"));
            }
        }
        assertEquals(epoch, redis.execute("GET", RoomKeys.epoch(room)).toString(), "the first message kept the announced epoch");

        try (ChatClient back = ChatClient.welcomed(vertx, base, "early-" + suffix)) {
            back.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("epoch", epoch));
            JsonObject joined = back.next("joined");
            assertTrue(joined.getBoolean("recovered"), "recovered in-band: " + joined);
            for (int i = 1; i <= 3; i++) {
                JsonObject message = back.next("message");
                assertEquals(i, message.getLong("seq"));
                assertEquals("m" + i, message.getString("text"));
            }
        }
    }
}
