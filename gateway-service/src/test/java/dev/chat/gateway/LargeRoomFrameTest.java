package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A room frame above 64 KiB (the full presence list of a room of a few thousand) reaches a client with Vert.x's default
 * limits (frames of at most 64 KiB, messages of 256 KiB), which closes the connection with 1009 on a larger single frame:
 * the gateway sends it in 64 KiB fragments.
 */
@QuarkusTest
class LargeRoomFrameTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aRoomFrameAbove64KiBReachesAClientWithDefaultFrameLimits() throws Exception {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "large-frame-" + UUID.randomUUID().toString().substring(0, 6);
        BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
        List<Short> closes = new ArrayList<>();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort()).setURI("/chat")
                .addHeader("Authorization", "Bearer " + Tokens.forUser("listener-" + room));
        WebSocket socket = vertx.createWebSocketClient().connect(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
        socket.closeHandler(v -> closes.add(socket.closeStatusCode()));
        socket.writeTextMessage(new JsonObject().put("type", "join").put("room", room).encode());
        assertEquals("joined", next(frames, "joined").getString("type"));

        // A presence list as a room's change batch publishes it: 2,500 users of 60 characters, about 158 KB.
        JsonArray users = new JsonArray();
        for (int i = 0; i < 2_500; i++) {
            users.add(String.format("user-%055d", i));
        }
        String list = new JsonObject().put("type", "presence").put("room", room).put("users", users).encode();
        assertTrue(list.length() > 2 * 65_536, "spans three fragments");
        redis.pubsub(String.class).publish(RoomKeys.channel(room), list);

        JsonObject received = next(frames, "presence");
        assertEquals(users, received.getJsonArray("users"));
        socket.writeTextMessage(new JsonObject().put("type", "ping").encode());
        assertEquals("pong", next(frames, "pong").getString("type"));
        assertEquals(List.of(), closes, "still open");
        socket.close();
    }

    private static JsonObject next(BlockingQueue<JsonObject> frames, String type) throws InterruptedException {
        while (true) {
            JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
            if (frame == null) {
                fail("no " + type + " frame within 10 s");
            }
            if (type.equals(frame.getString("type"))) {
                return frame;
            }
        }
    }
}
