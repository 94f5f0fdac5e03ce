package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.ingest.RoomTrafficSubscriber;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restart between the stored position's write to Redis and its write to PostgreSQL left the database's behind; the
 * replay API, which pages no further than it, hid the room's last messages until the room's next message. Each
 * (re)subscription brings such a room's database position up to Redis's.
 */
@QuarkusTest
class StoredPositionCatchUpTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RedisDataSource redis;

    @Inject
    Pool pool;

    @Inject
    RoomTrafficSubscriber subscriber;

    @Test
    void aQuietRoomsLastMessagesShowOnceItsDatabasePositionCatchesUp() {
        String room = Gateway.uniqueRoom("behind");
        // Three messages stored, the last two out of order, and the position that covers them written to Redis only.
        for (long seq = 1; seq <= 3; seq++) {
            pool.preparedQuery("insert into messages (room, seq, sender, text, ts) values ($1, $2, 'alice', $3, $4)")
                    .execute(Tuple.of(room, seq, "message " + seq, Gateway.ts(seq))).await().atMost(WAIT);
        }
        pool.preparedQuery("insert into rooms (room, last_seq, last_ts, stored_seq) values ($1, 3, $2, 1)")
                .execute(Tuple.of(room, Gateway.ts(3))).await().atMost(WAIT);
        redis.value(String.class).set(RoomKeys.seq(room), "3");
        redis.value(String.class).set(RoomKeys.stored(room), "3");
        pagedSeqs(room).body("messages.seq", equalTo(List.of(1))).body("storedThrough", equalTo(1));

        // A reconnect, as after a restart.
        String before = RedisClients.idNamed(redis, subscriber.clientName());
        assertNotNull(before, "subscriber connection not in CLIENT LIST");
        redis.execute("CLIENT", "KILL", "ID", before);
        await().atMost(WAIT).untilAsserted(() -> assertNotEquals(before, RedisClients.idNamed(redis, subscriber.clientName())));

        await().atMost(WAIT).untilAsserted(() -> pagedSeqs(room).body("messages.seq", equalTo(List.of(1, 2, 3)))
                .body("storedThrough", equalTo(3)));
    }

    private static io.restassured.response.ValidatableResponse pagedSeqs(String room) {
        return given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room).get("/rooms/{room}/messages")
                .then().statusCode(200);
    }

}
