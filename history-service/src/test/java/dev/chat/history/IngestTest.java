package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.ingest.RoomPositions;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Messages published on Redis end up in PostgreSQL, exactly once each, including the ones missed live. */
@QuarkusTest
class IngestTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RedisDataSource redis;

    @Inject
    Vertx vertx;

    @Inject
    RoomPositions positions;

    Gateway gateway;

    @BeforeEach
    void setUp() {
        gateway = new Gateway(redis);
        // Messages published before the subscription is in place would only arrive through the sweep.
        await().atMost(WAIT).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
    }

    @Test
    void onLinuxRedisAndPostgresqlSocketsRunOnEpollNotNio() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        assertTrue(vertx.isNativeTransportEnabled(), () -> "epoll did not load: " + vertx.unavailableNativeTransportCause());
    }

    @Test
    void publishedMessagesAreStoredAndReplayed() {
        String room = Gateway.uniqueRoom("ingest");
        gateway.publishRaw(room, "{\"type\":\"typing\",\"room\":\"" + room + "\",\"user\":\"bob\"}");
        gateway.publish(room, 1, "alice", "hello");
        gateway.publish(room, 2, "bob", "hi alice");
        gateway.publish(room, 3, "alice", "how are you?");

        awaitSeqs(room, List.of(1, 2, 3))
                .body("room", equalTo(room))
                .body("hasMore", equalTo(false))
                .body("messages[0].room", equalTo(room))
                .body("messages[0].from", equalTo("alice"))
                .body("messages[0].text", equalTo("hello"))
                .body("messages[0].ts", equalTo(Gateway.ts(1)))
                .body("messages[1].from", equalTo("bob"))
                .body("messages[0].cid", nullValue());
        await().atMost(WAIT).untilAsserted(() -> assertEquals("3", gateway.get(RoomKeys.stored(room))));
    }

    @Test
    void theSameSeqPublishedTwiceIsStoredOnce() {
        String room = Gateway.uniqueRoom("dup");
        gateway.publish(room, 1, "alice", "first");
        gateway.publishRaw(room, Gateway.payload(room, 1, "alice", "again", Gateway.ts(1), "c1"));
        gateway.publish(room, 2, "alice", "second");

        awaitSeqs(room, List.of(1, 2)).body("messages[0].text", equalTo("first"));
    }

    @Test
    void aSeqJumpIsBackfilledFromTheRecentLog() {
        String room = Gateway.uniqueRoom("jump");
        gateway.publish(room, 1, "alice", "one");
        awaitSeqs(room, List.of(1));
        double backfilledBefore = metric("chat_history_backfilled_total");

        // 2 and 3 were accepted while history was not listening: only the recent log has them.
        gateway.log(room, 2, "bob", "two");
        gateway.log(room, 3, "alice", "three");
        gateway.publish(room, 4, "bob", "four");

        awaitSeqs(room, List.of(1, 2, 3, 4))
                .body("messages[1].text", equalTo("two"))
                .body("messages[2].text", equalTo("three"));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("4", gateway.get(RoomKeys.stored(room))));
        assertTrue(metric("chat_history_backfilled_total") >= backfilledBefore + 2);
    }

    @Test
    void aRoomFirstSeenMidStreamIsBackfilledFromItsStart() {
        String room = Gateway.uniqueRoom("midstream");
        gateway.log(room, 1, "alice", "one");
        gateway.log(room, 2, "alice", "two");
        gateway.publish(room, 3, "alice", "three");

        awaitSeqs(room, List.of(1, 2, 3));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("3", gateway.get(RoomKeys.stored(room))));
    }

    @Test
    void theStoredPositionsOfMoreRoomsThanOneScriptCallTakesAllReachRedis() {
        // One message in each of more rooms than one position call carries: the tick splits them, none is left out.
        List<String> many = IntStream.range(0, RoomPositions.ROOMS_PER_CALL + 44).mapToObj(i -> Gateway.uniqueRoom("many")).toList();
        for (String room : many) {
            gateway.publish(room, 1, "alice", "one of many");
        }
        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(),
                many.stream().filter(room -> !"1".equals(gateway.get(RoomKeys.stored(room)))).toList()));
    }

    @Test
    void aStoredPositionIsRaisedButNeverLowered() {
        String ahead = Gateway.uniqueRoom("ahead");
        String behind = Gateway.uniqueRoom("behind");
        String fresh = Gateway.uniqueRoom("fresh");
        // Another history instance already published 10 for one room; this one reports older positions.
        redis.value(String.class).set(RoomKeys.stored(ahead), "10");
        redis.value(String.class).set(RoomKeys.stored(behind), "3");

        positions.advance(Map.of(ahead, 7L, behind, 5L, fresh, 2L)).await().atMost(WAIT);

        assertEquals("10", gateway.get(RoomKeys.stored(ahead)));
        assertEquals("5", gateway.get(RoomKeys.stored(behind)));
        assertEquals("2", gateway.get(RoomKeys.stored(fresh)));
    }

    @Test
    void aGapTrimmedFromTheLogDoesNotHoldBackTheStoredPosition() {
        String room = Gateway.uniqueRoom("trimmed");
        gateway.publish(room, 1, "alice", "one");
        awaitSeqs(room, List.of(1));
        // 2 is gone from the recent log (trimmed) before history could read it.
        gateway.log(room, 3, "alice", "three");
        gateway.publish(room, 4, "alice", "four");

        awaitSeqs(room, List.of(1, 3, 4));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("4", gateway.get(RoomKeys.stored(room))));
    }

    @Test
    void textPostgresCannotHoldIsStoredWithAReplacementCharacter() {
        String room = Gateway.uniqueRoom("nul");
        gateway.publish(room, 1, "alice", "before\u0000after");
        gateway.publish(room, 2, "alice", "next");

        awaitSeqs(room, List.of(1, 2)).body("messages[0].text", equalTo("before\uFFFDafter"));
    }

    @Test
    void directMessagesAreStoredForTheirRoom() {
        String a = Gateway.uniqueRoom("a");
        String b = Gateway.uniqueRoom("b");
        String room = "dm:" + a + ":" + b;
        gateway.publish(room, 1, a, "psst");

        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid(b))
                .pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200)
                .body("messages.text", contains("psst")));
    }

    private ValidatableResponse awaitSeqs(String room, List<Integer> seqs) {
        String token = TestTokens.valid("reader");
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(token)
                .pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200)
                .body("messages.seq", equalTo(seqs)));
        return given().auth().oauth2(token).pathParam("room", room).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages", hasSize(seqs.size()));
    }

    static double metric(String name) {
        String body = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : body.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }
}
