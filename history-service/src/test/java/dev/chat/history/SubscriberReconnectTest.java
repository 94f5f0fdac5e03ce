package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.ingest.RoomTrafficSubscriber;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the subscriber connection drops, it comes back by itself, and what was published meanwhile
 * (here: a room that never got another message) is read from the recent log.
 */
@QuarkusTest
class SubscriberReconnectTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RedisDataSource redis;

    @Inject
    RoomTrafficSubscriber subscriber;

    @Test
    void aDroppedConnectionIsReopenedAndMissedMessagesAreStored() {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        String before = RedisClients.idNamed(redis, subscriber.clientName());
        assertNotNull(before, "subscriber connection not in CLIENT LIST");

        // Kill only this instance's subscriber connection (other clients share this Redis).
        redis.execute("CLIENT", "KILL", "ID", before);
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("quiet");
        gateway.log(room, 1, "alice", "said while history was not listening");
        gateway.log(room, 2, "alice", "and nothing after");

        await().atMost(WAIT).untilAsserted(() -> {
            String after = RedisClients.idNamed(redis, subscriber.clientName());
            assertNotNull(after);
            assertNotEquals(before, after);
        });
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2))));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("2", gateway.get(RoomKeys.stored(room))));
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
    }

    @Test
    void aRoomTheCatchUpCouldNotReadIsReadAgainUntilItIs() {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("unread");
        // Published while history was not listening, in a room that gets nothing more.
        gateway.log(room, 1, "alice", "one");
        gateway.log(room, 2, "alice", "two");
        // The catch-up's read of this room fails (a stand-in for Redis still loading, or a timeout).
        redis.execute("SET", RoomKeys.seq(room), "two");
        try {
            double failuresBefore = IngestTest.metric("chat_history_ingest_catchup_failures_total");
            redis.execute("CLIENT", "KILL", "ID", RedisClients.idNamed(redis, subscriber.clientName()));
            await().atMost(WAIT).until(() -> IngestTest.metric("chat_history_ingest_catchup_failures_total") > failuresBefore);
        } finally {
            redis.execute("SET", RoomKeys.seq(room), "2");
        }
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2))));
    }

    private static String check(String name) {
        return Management.given().get("/q/health/group/ingest").jsonPath().getString("checks.find { it.name == '" + name + "' }.status");
    }
}
