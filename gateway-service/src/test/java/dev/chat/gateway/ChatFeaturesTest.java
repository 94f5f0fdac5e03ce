package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Direct messages, typing, presence and the server publish API on one gateway. */
@QuarkusTest
class ChatFeaturesTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    String room;
    String suffix;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        suffix = UUID.randomUUID().toString().substring(0, 6);
        room = "feat-" + suffix;
    }

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    @Test
    void aDirectMessageReachesEveryConnectionOfBothUsersAndNoOneElse() {
        String alice = "alice-" + suffix;
        String bob = "bob-" + suffix;
        try (ChatClient alice1 = connect(alice); ChatClient alice2 = connect(alice);
                ChatClient bob1 = connect(bob); ChatClient bob2 = connect(bob); ChatClient carol = connect("carol-" + suffix)) {
            alice1.send(new JsonObject().put("type", "send").put("to", bob).put("text", "psst").put("cid", "dm1"));
            JsonObject ack = alice1.next("ack");
            String dmRoom = "dm:" + alice + ":" + bob;
            assertEquals(dmRoom, ack.getString("room"));
            for (ChatClient client : new ChatClient[] {alice1, alice2, bob1, bob2}) {
                JsonObject message = client.next("message");
                assertEquals(dmRoom, message.getString("room"));
                assertEquals("psst", message.getString("text"));
                assertEquals(alice, message.getString("from"));
                assertEquals(ack.getLong("seq"), message.getLong("seq"));
            }
            for (ChatClient client : new ChatClient[] {alice2, bob1, bob2}) {
                assertNull(client.pollNothing(200), "exactly once");
            }
            assertNull(carol.pollNothing(300), "carol gets nothing");
        }
    }

    @Test
    void aDirectMessageToAnOfflineUserIsAcceptedAndLeavesAnOfflineEvent() {
        String nobody = "offline-" + suffix;
        try (ChatClient alice = connect("alice")) {
            alice.send(new JsonObject().put("type", "send").put("to", nobody).put("text", "when you are back").put("cid", "o1"));
            JsonObject ack = alice.next("ack");
            assertEquals(1, ack.getLong("seq"));
        }
        assertTrue(eventFor("dm.offline", nobody), "a dm.offline event for " + nobody);
    }

    /** Whether chat:events holds a recent event of this type for this user. */
    boolean eventFor(String type, String user) {
        for (Response entry : redis.execute("XREVRANGE", "chat:events", "+", "-", "COUNT", "200")) {
            String fields = entry.get(1).toString();
            if (fields.contains(user) && fields.contains(type)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void typingGoesToTheOtherMembersOnly() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            alice.join(room);
            bob.join(room);
            alice.send(new JsonObject().put("type", "typing").put("room", room));
            JsonObject typing = bob.next("typing");
            assertEquals(room, typing.getString("room"));
            assertEquals("alice", typing.getString("user"));
            JsonObject other = alice.pollNothing(500);
            assertTrue(other == null || !"typing".equals(other.getString("type")), "not to the sender");
        }
    }

    @Test
    void presenceCountsUsersNotConnections() {
        String alice = "alice-" + suffix;
        String bob = "bob-" + suffix;
        try (ChatClient bob1 = connect(bob)) {
            bob1.join(room);
            ChatClient alice1 = connect(alice);
            alice1.join(room);
            // Presence changes are batched per interval: bob's own join and alice's may come in either order.
            java.util.Set<String> joinedUsers = new java.util.TreeSet<>();
            joinedUsers.add(bob1.next("presence.join").getString("user"));
            joinedUsers.add(bob1.next("presence.join").getString("user"));
            assertEquals(java.util.Set.of(alice, bob), joinedUsers);

            ChatClient alice2 = connect(alice);
            alice2.join(room);
            bob1.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "p"));
            JsonObject presence = bob1.next("presence");
            assertEquals(new io.vertx.core.json.JsonArray().add(alice).add(bob), presence.getJsonArray("users"));
            assertEquals("p", presence.getString("cid"));

            alice1.close();
            bob1.send(new JsonObject().put("type", "ping").put("cid", "sync"));
            JsonObject next = bob1.next();
            assertEquals("pong", next.getString("type"), "no presence event while alice has another connection: " + next);

            given().auth().oauth2(Tokens.forUser(bob)).get("/rooms/" + room + "/presence")
                    .then().statusCode(200).body("room", is(room)).body("users", contains(alice, bob));
            given().auth().oauth2(Tokens.forUser(bob)).get("/users/" + alice + "/presence")
                    .then().statusCode(200).body("online", is(true));

            alice2.close();
            JsonObject left = bob1.next("presence.leave");
            assertEquals(alice, left.getString("user"));
        }
        io.restassured.response.Response status = given().auth().oauth2(Tokens.forUser("someone")).get("/users/" + alice + "/presence");
        status.then().statusCode(200);
        // The last disconnect is recorded asynchronously.
        org.awaitility.Awaitility.await().untilAsserted(() -> given().auth().oauth2(Tokens.forUser("someone"))
                .get("/users/" + alice + "/presence").then().body("online", is(false)).body("lastSeen", org.hamcrest.Matchers.notNullValue()));
        assertTrue(eventFor("user.offline", alice), "a user.offline event for push workers once alice's last connection closed");
    }

    @Test
    void aServiceCanPostIntoARoomIdempotentlyAndUsersCannot() {
        try (ChatClient bob = connect("bob")) {
            bob.join(room);
            int seq = given().auth().oauth2(Tokens.service("notifier")).header("Idempotency-Key", "k1")
                    .contentType("application/json").body("{\"text\":\"deploy finished\"}")
                    .post("/rooms/" + room + "/messages")
                    .then().statusCode(200).body("room", is(room)).extract().path("seq");
            assertEquals(1, seq);
            given().auth().oauth2(Tokens.service("notifier")).header("Idempotency-Key", "k1")
                    .contentType("application/json").body("{\"text\":\"deploy finished\"}")
                    .post("/rooms/" + room + "/messages")
                    .then().statusCode(200).body("seq", is(1));
            JsonObject message = bob.next("message");
            assertEquals("notifier", message.getString("from"));
            assertEquals("deploy finished", message.getString("text"));
            assertNull(bob.pollNothing(300), "once");

            given().auth().oauth2(Tokens.forUser("mallory")).contentType("application/json").body("{\"text\":\"x\"}")
                    .post("/rooms/" + room + "/messages").then().statusCode(403);
            given().contentType("application/json").body("{\"text\":\"x\"}")
                    .post("/rooms/" + room + "/messages").then().statusCode(401);
            given().auth().oauth2(Tokens.service("notifier")).contentType("application/json").body("{\"text\":\"\"}")
                    .post("/rooms/" + room + "/messages").then().statusCode(400).body("code", is("bad_request"));
            given().auth().oauth2(Tokens.service("notifier")).contentType("application/json").body("{\"text\":\"x\"}")
                    .post("/rooms/bad%20room/messages").then().statusCode(400).body("code", is("bad_request"));
        }
    }
}
