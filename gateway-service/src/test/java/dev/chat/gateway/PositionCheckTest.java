package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Background work of the delivery side (the position check of every local room) runs in pipelined
 * batches on connections of its own: with a small wait queue on the shared pool it still reaches every room.
 */
@QuarkusTest
@TestProfile(SmallLogAndPoolQueue.class)
class PositionCheckTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aLostTailIsCaughtInEveryOneOfAHundredRooms() {
        redis.execute("SET", "chat:generation", "test", "NX");
        String prefix = "many-" + UUID.randomUUID().toString().substring(0, 6) + "-";
        int rooms = 100;
        try (ChatClient bob = ChatClient.connect(vertx, base, Tokens.forUser("bob"))) {
            bob.next("welcome");
            for (int i = 0; i < rooms; i++) {
                bob.send(new JsonObject().put("type", "join").put("room", prefix + i));
                bob.next("joined");
            }
            // One message per room, accepted but never published: only the position check can find it.
            for (int i = 0; i < rooms; i++) {
                String room = prefix + i;
                long seq = redis.execute("INCR", "chat:{" + room + "}:seq").toLong();
                String payload = new JsonObject().put("type", "message").put("room", room).put("seq", seq)
                        .put("from", "ghost").put("text", "lost").put("ts", System.currentTimeMillis()).encode();
                redis.execute("XADD", "chat:{" + room + "}:log", seq + "-0", "m", payload, "t", "1");
            }
            Set<String> reached = new HashSet<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonObject frame = bob.pollNothing(1000);
                if (frame != null && "message".equals(frame.getString("type"))) {
                    assertEquals(1, frame.getLong("seq"));
                    reached.add(frame.getString("room"));
                }
                return reached.size() == rooms;
            });
        }
    }
}
