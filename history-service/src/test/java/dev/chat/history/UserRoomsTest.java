package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /users/me/rooms} from real traffic: messages published the way the gateway does, and joins and reads
 * appended to the activity stream the way the gateway does, through ingest and the activity consumer into PostgreSQL.
 */
@QuarkusTest
class UserRoomsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RedisDataSource redis;

    @Inject
    MessageWriter writer;

    Gateway gateway;

    @BeforeEach
    void setUp() {
        gateway = new Gateway(redis);
        // Messages published before the subscription is in place would only arrive through the sweep.
        await().atMost(WAIT).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'redis-subscriber' }.status")));
    }

    @Test
    void directMessagesAreUnreadForTheRecipientUntilRead() {
        String alice = Gateway.uniqueUser("alice");
        String bob = Gateway.uniqueUser("bob");
        String dm = Gateway.dm(alice, bob);
        gateway.publish(dm, 1, alice, "one");
        gateway.publish(dm, 2, alice, "two");
        gateway.publish(dm, 3, alice, "three");

        // Bob never joined or posted: the room is his as a participant.
        await().atMost(WAIT).untilAsserted(() -> assertRoom(bob, dm, 3, 0, 3));
        assertEquals(bob, rooms(bob).getString("user"));
        // Her own messages are never unread for alice.
        assertRoom(alice, dm, 3, 0, 0);

        gateway.read(bob, dm, 2);
        await().atMost(WAIT).untilAsserted(() -> assertRoom(bob, dm, 3, 2, 1));
    }

    @Test
    void readPositionsFromSeveralDevicesMergeToTheHighest() {
        String alice = Gateway.uniqueUser("alice");
        String bob = Gateway.uniqueUser("bob");
        String dm = Gateway.dm(alice, bob);
        gateway.publish(dm, 1, alice, "one");
        gateway.publish(dm, 2, alice, "two");
        gateway.publish(dm, 3, alice, "three");
        await().atMost(WAIT).untilAsserted(() -> assertRoom(bob, dm, 3, 0, 3));

        // The phone read everything, the laptop is behind: in one batch, they merge before PostgreSQL sees them.
        gateway.readTogether(bob, dm, 3, 1);
        await().atMost(WAIT).untilAsserted(() -> assertRoom(bob, dm, 3, 3, 0));
        // In separate batches, the upsert keeps the higher position.
        gateway.read(bob, dm, 1);
        // Entries are stored in stream order, so once this later one is visible the one above is stored too.
        String later = Gateway.uniqueRoom("later");
        gateway.joined(bob, later);
        await().atMost(WAIT).untilAsserted(() -> assertRoom(bob, later, 0, 0, 0));
        assertRoom(bob, dm, 3, 3, 0);
    }

    @Test
    void aJoinedRoomWithoutMessagesIsListedWithZeroes() {
        String carol = Gateway.uniqueUser("carol");
        String room = Gateway.uniqueRoom("quiet");
        gateway.joined(carol, room);

        await().atMost(WAIT).untilAsserted(() -> assertRoom(carol, room, 0, 0, 0));
    }

    @Test
    void roomsTheUserPostedInAreListedMostRecentActivityFirst() {
        String carol = Gateway.uniqueUser("carol");
        String dave = Gateway.uniqueUser("dave");
        String older = Gateway.uniqueRoom("older");
        String newer = Gateway.uniqueRoom("newer");
        String joined = Gateway.uniqueRoom("joined");
        // Gateway.ts(seq) makes a room's last message time grow with its seq.
        gateway.publish(older, 1, carol, "first");
        gateway.publish(newer, 1, dave, "hi");
        gateway.publish(newer, 2, carol, "hello");
        gateway.publish(newer, 3, dave, "how are you?");
        // Joined just now, later than any of those messages.
        gateway.joined(carol, joined);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath body = rooms(carol);
            assertEquals(List.of(joined, newer, older), body.getList("rooms.room"));
            assertEquals(Map.of("room", newer, "lastSeq", 3, "readSeq", 0, "unread", 2, "unreadCapped", false), body.getMap("rooms[1]"));
            assertEquals(Map.of("room", older, "lastSeq", 1, "readSeq", 0, "unread", 0, "unreadCapped", false), body.getMap("rooms[2]"));
        });
    }

    @Test
    void aLimitKeepsTheMostRecentlyActiveRoomsAndSaysThereAreMore() {
        String erin = Gateway.uniqueUser("erin");
        String older = Gateway.uniqueRoom("older");
        String newer = Gateway.uniqueRoom("newer");
        String joined = Gateway.uniqueRoom("joined");
        gateway.publish(older, 1, erin, "first");
        gateway.publish(newer, 1, erin, "second");
        gateway.joined(erin, joined);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(joined, newer, older), rooms(erin).getList("rooms.room")));

        JsonPath two = given().auth().oauth2(TestTokens.valid(erin)).queryParam("limit", 2).get("/users/me/rooms")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(joined, newer), two.getList("rooms.room"));
        assertEquals(true, two.getBoolean("hasMore"));
        JsonPath three = given().auth().oauth2(TestTokens.valid(erin)).queryParam("limit", 3).get("/users/me/rooms")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(joined, newer, older), three.getList("rooms.room"));
        assertEquals(false, three.getBoolean("hasMore"));
        assertEquals(false, rooms(erin).getBoolean("hasMore"), "without a limit: up to 1,000 rooms");
    }

    @Test
    void aLimitOutsideOneToAThousandIsABadRequest() {
        for (String limit : List.of("0", "1001", "-1", "x", "99999999999")) {
            given().auth().oauth2(TestTokens.valid("erin")).queryParam("limit", limit).get("/users/me/rooms")
                    .then().statusCode(400).body("code", equalTo("bad_request"));
        }
    }

    @Test
    void anotherUsersRoomsNeverAppear() {
        String eve = Gateway.uniqueUser("eve");
        String friend = Gateway.uniqueUser("friend");
        String dm = Gateway.dm(eve, friend);
        String posted = Gateway.uniqueRoom("posted");
        String joined = Gateway.uniqueRoom("joined");
        gateway.publish(dm, 1, friend, "psst");
        gateway.publish(posted, 1, eve, "hello");
        gateway.joined(eve, joined);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(joined, dm, posted).stream().sorted().toList(),
                rooms(eve).getList("rooms.room", String.class).stream().sorted().toList()));

        // Names a substring or LIKE match would confuse with eve's: a prefix, and the same with '_' for a character.
        String mallory = Gateway.uniqueUser("mallory");
        String prefix = eve.substring(0, eve.length() - 1);
        String lookalike = prefix + "_";
        // A join of someone else's direct messages is refused by the consumer (the gateway would not send it either).
        gateway.joined(mallory, dm);
        String later = Gateway.uniqueRoom("later");
        gateway.joined(mallory, later);
        await().atMost(WAIT).untilAsserted(() -> assertRoom(mallory, later, 0, 0, 0));

        for (String other : List.of(mallory, prefix, lookalike, friend)) {
            List<String> theirs = rooms(other).getList("rooms.room", String.class);
            assertFalse(theirs.contains(posted), other + " sees " + posted);
            assertFalse(theirs.contains(joined), other + " sees " + joined);
            if (!other.equals(friend)) {
                assertFalse(theirs.contains(dm), other + " sees " + dm);
            }
        }
    }

    @Test
    void missingOrInvalidTokensAreUnauthorized() {
        for (RequestSpecification request : List.of(given(),
                given().auth().oauth2(TestTokens.expired("carol")),
                given().auth().oauth2(TestTokens.forged("carol")),
                given().queryParam("access_token", "not-a-jwt"))) {
            request.get("/users/me/rooms")
                    .then().statusCode(401)
                    .contentType("application/json")
                    .body("code", equalTo("unauthorized"))
                    .body("message", not(equalTo("")));
        }
    }

    @Test
    void unreadCountsStopAtTheCap() {
        String carol = Gateway.uniqueUser("carol");
        String busy = Gateway.uniqueRoom("busy");
        gateway.joined(carol, busy);
        // 1,200 messages past carol's read position (none read): more than the cap of 999.
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= 1200; seq++) {
            messages.add(new ChatMessage(busy, seq, "dave", "m" + seq, Gateway.ts(seq), null));
        }
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(busy, 1200L)))
                .await().atMost(WAIT);

        await().atMost(WAIT).untilAsserted(() -> assertEquals(
                Map.of("room", busy, "lastSeq", 1200, "readSeq", 0, "unread", 999, "unreadCapped", true),
                rooms(carol).getMap("rooms.find { it.room == '" + busy + "' }")));
        // Read up to 300: 900 left, under the cap, counted exactly.
        gateway.read(carol, busy, 300);
        await().atMost(WAIT).untilAsserted(() -> assertRoom(carol, busy, 1200, 300, 900));
    }

    @Test
    void tokenMayComeAsQueryParameter() {
        String frank = Gateway.uniqueUser("frank");
        given().queryParam("access_token", TestTokens.valid(frank)).get("/users/me/rooms")
                .then().statusCode(200)
                .body("user", equalTo(frank))
                .body("rooms.size()", equalTo(0));
    }

    private static JsonPath rooms(String user) {
        return given().auth().oauth2(TestTokens.valid(user)).get("/users/me/rooms")
                .then().statusCode(200).contentType("application/json").extract().jsonPath();
    }

    private static void assertRoom(String user, String room, int lastSeq, int readSeq, int unread) {
        Map<String, Object> entry = rooms(user).getMap("rooms.find { it.room == '" + room + "' }");
        assertNotNull(entry, room + " not listed for " + user);
        assertEquals(Map.of("room", room, "lastSeq", lastSeq, "readSeq", readSeq, "unread", unread, "unreadCapped", false), entry);
    }
}
