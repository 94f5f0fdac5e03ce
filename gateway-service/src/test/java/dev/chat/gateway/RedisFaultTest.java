package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The gateway against a Redis of its own that the test kills, restarts and cuts off. */
@QuarkusTest
@TestProfile(RedisFaultTest.OwnRedisProfile.class)
@QuarkusTestResource(value = OwnRedis.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisFaultTest {

    public static class OwnRedisProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.redis.timeout", "2s", "chat.subscriber.max-backoff", "500ms", "chat.presence.heartbeat-interval", "1s",
                    "chat.limits.messages-per-second", "1000", "chat.limits.message-burst", "1000",
                    "chat.limits.user-messages-per-second", "1000", "chat.limits.user-message-burst", "1000");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    static JsonObject send(ChatClient client, String room, String text, String cid) {
        client.send(new JsonObject().put("type", "send").put("room", room).put("text", text).put("cid", cid));
        JsonObject reply;
        do {
            reply = client.next();
        } while (!"ack".equals(reply.getString("type")) && !"error".equals(reply.getString("type")));
        return reply;
    }

    @Test
    @Order(1)
    void aKilledSubscriberConnectionLosesNoMessage() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String room = "cut-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            for (ChatClient client : new ChatClient[] {alice, bob}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }
            for (int i = 1; i <= 60; i++) {
                assertEquals("ack", send(alice, room, "m" + i, "c" + i).getString("type"));
                if (i % 20 == 0) {
                    OwnRedis.cli("CLIENT", "KILL", "TYPE", "pubsub");
                }
            }
            for (long seq = 1; seq <= 60; seq++) {
                assertEquals(seq, bob.next("message").getLong("seq"), "in order, no gap");
            }
            assertFalse(bob.isClosed(), "the client never noticed");
        }
    }

    @Test
    @Order(2)
    void whileRedisIsDownSendsAreRefusedAsUnavailableAndReadinessIsDown() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String room = "down-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            for (ChatClient client : new ChatClient[] {alice, bob}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }
            assertEquals("ack", send(alice, room, "before", "b1").getString("type"));
            assertEquals("before", bob.next("message").getString("text"));

            OwnRedis.kill();
            JsonObject refused = send(alice, room, "during", "d1");
            assertEquals("unavailable", refused.getString("code"), "never a false ack");
            assertEquals("d1", refused.getString("cid"));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> Management.given().get("/q/health/ready").then().statusCode(503));

            OwnRedis.startServer();
            // Redis came back empty. Stand in for the history service: it puts every room's counter back to the
            // highest seq it stored (here "before", 1) under a new epoch, then sets the generation marker.
            OwnRedis.cli("SET", RoomKeys.seq(room), "1");
            OwnRedis.cli("SET", RoomKeys.epoch(room), "reseeded");
            OwnRedis.cli("SET", "chat:generation", "g2");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> Management.given().get("/q/health/ready").then().statusCode(200));

            JsonObject retried = send(alice, room, "during", "d1");
            assertEquals("ack", retried.getString("type"), "the resend with the same cid is accepted once Redis is back");
            assertEquals(2, retried.getLong("seq"), "the room goes on after what history stored, never from 1 again");
            // Bob, without re-joining, receives "during" or, if his gateway read the room's position while Redis was
            // still empty, is told to reload the room (joined, recovered false): never left with a silent gap.
            JsonObject next = bob.next(f -> ("message".equals(f.getString("type")) && "during".equals(f.getString("text")))
                    || ("joined".equals(f.getString("type")) && Boolean.FALSE.equals(f.getBoolean("recovered"))));
            assertEquals(room, next.getString("room"));
        }
    }

    @Test
    @Order(3)
    void withoutTheGenerationMarkerSendsWaitForTheReseed() {
        OwnRedis.cli("DEL", "chat:generation");
        String room = "reseed-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = connect("alice")) {
            alice.send(new JsonObject().put("type", "join").put("room", room).put("cid", "j"));
            JsonObject refused = alice.next("error");
            assertEquals("unavailable", refused.getString("code"), "a room counter Redis may have lost is never restarted at 1");
            assertEquals("j", refused.getString("cid"));
            assertEquals("the room's backing service did not answer; retry", refused.getString("message"), "a join speaks of no message");
            OwnRedis.cli("SET", "chat:generation", "g3");
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            assertEquals("ack", send(alice, room, "now", "n1").getString("type"));
        }
    }

    @Inject
    dev.chat.gateway.room.RoomSubscriber subscriber;

    @Test
    @Order(4)
    void aSubscriptionCountsAsInPlaceOnlyOnceRedisConfirmedIt() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String channel = "chat:room:confirm-" + UUID.randomUUID().toString().substring(0, 6);
        // Redis takes no command for 2 s: the SUBSCRIBE is written to the socket but not yet carried out.
        OwnRedis.cli("CLIENT", "PAUSE", "2000", "ALL");
        io.vertx.core.Future<Void> subscribed = subscriber.subscribe(channel);
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(1)).until(() -> !subscribed.isComplete());
        await().atMost(Duration.ofSeconds(10)).until(subscribed::succeeded);
        assertEquals("1", OwnRedis.cli("PUBSUB", "NUMSUB", channel).lines().reduce((a, b) -> b).orElse(""),
                "when it completes, Redis holds the subscription");
        subscriber.unsubscribe(channel);
    }

    @Test
    @Order(5)
    void directMessagesLostWhileTheSubscriberWasCutOffAreFilled() {
        Pair pair = Pair.fresh();
        String alice = pair.alice();
        String bob = pair.bob();
        String room = pair.room();
        try (ChatClient a = connect(alice); ChatClient b = connect(bob)) {
            a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "one").put("cid", "d1"));
            assertEquals(1, b.next("message").getLong("seq"));

            // Published while the subscriber was away: in the room's log, never on the user channels.
            OwnRedis.cli("INCR", "chat:{" + room + "}:seq");
            String payload = new JsonObject().put("type", "message").put("room", room).put("seq", 2).put("from", alice)
                    .put("text", "while cut off").put("ts", System.currentTimeMillis()).encode();
            OwnRedis.cli("XADD", "chat:{" + room + "}:log", "2-0", "m", payload, "t", Long.toString(System.currentTimeMillis()));
            OwnRedis.cli("CLIENT", "KILL", "TYPE", "pubsub");

            JsonObject filled = b.next("message");
            assertEquals(2, filled.getLong("seq"));
            assertEquals("while cut off", filled.getString("text"));
            a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "three").put("cid", "d3"));
            assertEquals(3, b.next("message").getLong("seq"), "then live, in order, once");
        }
    }

    @Test
    @Order(6)
    void aDirectMessageAfterAHoleWaitsUntilTheHoleIsFilled() {
        Pair pair = Pair.fresh();
        String alice = pair.alice();
        String bob = pair.bob();
        String room = pair.room();
        try (ChatClient a = connect(alice); ChatClient b = connect(bob)) {
            a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "one").put("cid", "d1"));
            assertEquals(1, b.next("message").getLong("seq"));
            OwnRedis.cli("INCR", "chat:{" + room + "}:seq");
            String payload = new JsonObject().put("type", "message").put("room", room).put("seq", 2).put("from", alice)
                    .put("text", "dropped by pub/sub").put("ts", System.currentTimeMillis()).encode();
            OwnRedis.cli("XADD", "chat:{" + room + "}:log", "2-0", "m", payload, "t", Long.toString(System.currentTimeMillis()));
            a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "three").put("cid", "d3"));
            assertEquals(2, b.next("message").getLong("seq"));
            assertEquals(3, b.next("message").getLong("seq"));
        }
    }

    @Test
    @Order(7)
    void aDirectMessageLostInARoomThisGatewayNeverDeliveredToTheUserIsFilled() {
        Pair pair = Pair.fresh();
        String alice = pair.alice();
        String bob = pair.bob();
        String room = pair.room();
        try (ChatClient b = connect(bob)) {
            // Sent on another gateway while this one was cut off: indexed for bob, logged, never seen here.
            lostWhileCutOff(bob, room, alice, 1, "first words");
            OwnRedis.cli("CLIENT", "KILL", "TYPE", "pubsub");

            JsonObject filled = b.next("message");
            assertEquals(room, filled.getString("room"));
            assertEquals(1, filled.getLong("seq"));
            assertEquals("first words", filled.getString("text"));
            try (ChatClient a = connect(alice)) {
                a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "two").put("cid", "d2"));
                JsonObject live = b.next("message");
                assertEquals(2, live.getLong("seq"), "then live, in order, once");
                assertEquals("two", live.getString("text"));
            }
        }
        assertEquals(room, OwnRedis.cli("ZRANGE", "chat:dms:{" + alice + "}", "0", "-1").strip(),
                "a send indexes the room for the sender too");
    }

    @Test
    @Order(8)
    void aDirectMessageLostBeyondTheRecentLogInAnUnseenRoomIsAnnouncedAsNotRecovered() {
        Pair pair = Pair.fresh();
        String alice = pair.alice();
        String bob = pair.bob();
        String room = pair.room();
        try (ChatClient b = connect(bob)) {
            // Messages 1-4 were trimmed from the log: it no longer reaches back to when bob connected.
            OwnRedis.cli("SET", "chat:{" + room + "}:seq", "4");
            OwnRedis.cli("SET", "chat:{" + room + "}:epoch", "e1");
            lostWhileCutOff(bob, room, alice, 5, "five");
            lostWhileCutOff(bob, room, alice, 6, "six");
            OwnRedis.cli("CLIENT", "KILL", "TYPE", "pubsub");

            JsonObject joined = b.next("joined");
            assertEquals(room, joined.getString("room"));
            assertFalse(joined.getBoolean("recovered"));
            assertEquals(6, joined.getLong("seq"), "the client reloads the room up to here from history");
        }
    }

    @Test
    @Order(9)
    void theFirstLiveDirectMessageOfARoomDoesNotSkipOnesMissedBeforeIt() {
        Pair pair = Pair.fresh();
        String alice = pair.alice();
        String bob = pair.bob();
        String room = pair.room();
        try (ChatClient b = connect(bob); ChatClient a = connect(alice)) {
            // Missed here (its publish lost), and the room never delivered anything to bob on this gateway before.
            lostWhileCutOff(bob, room, alice, 1, "missed");
            a.send(new JsonObject().put("type", "send").put("to", bob).put("text", "live").put("cid", "d2"));
            JsonObject first = b.next("message");
            assertEquals(1, first.getLong("seq"), "the missed one first, not skipped");
            assertEquals("missed", first.getString("text"));
            assertEquals(2, b.next("message").getLong("seq"));
        }
    }

    @Test
    @Order(10)
    void aClientThatConnectsWhileRedisHangsIsWelcomedAndItsJoinIsAnswered() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String room = "hang-" + UUID.randomUUID().toString().substring(0, 6);
        // Redis takes no command for 8 s, longer than this client waits for its welcome: the connect's online record and
        // direct-message subscription get no answer, nor may the join sent after the welcome. The welcome has a deadline
        // of 5 s (ChatEndpoint); without it this client would hear nothing until Redis is back.
        OwnRedis.cli("CLIENT", "PAUSE", "8000", "ALL");
        try (ChatClient late = ChatClient.connect(vertx, base, Tokens.forUser("late-" + room))) {
            assertEquals("welcome", late.next(f -> true, Duration.ofSeconds(7)).getString("type"), "welcomed before Redis is back");
            late.send(new JsonObject().put("type", "join").put("room", room));
            JsonObject answer = late.next(f -> "joined".equals(f.getString("type")) || "error".equals(f.getString("type")),
                    Duration.ofSeconds(9));
            if ("error".equals(answer.getString("type"))) {
                assertEquals("unavailable", answer.getString("code"), () -> "a join Redis did not answer: " + answer);
                // Once Redis answers again, the same connection joins.
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    late.send(new JsonObject().put("type", "join").put("room", room));
                    return "joined".equals(late.next(f -> "joined".equals(f.getString("type"))
                            || "error".equals(f.getString("type"))).getString("type"));
                });
            }
        }
    }

    @Test
    @Order(11)
    void presenceAnnouncedWhileTheSubscriberWasCutOffReachesTheMembersAsTheRoomsList() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String room = "seen-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = connect("alice"); ChatClient viewer = connect("viewer")) {
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            viewer.send(new JsonObject().put("type", "join").put("room", room).put("presence", "none"));
            viewer.next("joined");

            // A user another gateway announced while this gateway's subscriber was away: in the room's presence, and
            // its presence.join never reached this gateway.
            OwnRedis.cli("ZADD", RoomKeys.presence(room), Long.toString(System.currentTimeMillis() + 60_000), "carol|elsewhere");
            OwnRedis.cli("CLIENT", "KILL", "TYPE", "pubsub");

            JsonObject list = alice.next(f -> "presence".equals(f.getString("type")), Duration.ofSeconds(10));
            assertEquals(room, list.getString("room"));
            assertTrue(list.getJsonArray("users").contains("carol"), () -> "carol in " + list);
            assertNull(list.getString("cid"), "unsolicited");
            assertNull(viewer.pollNothing(500), "a member that asked for no presence frames gets no list either");
        }
    }

    @Test
    @Order(12)
    void aUserWhoLeftWhileRedisWasDownAndLostItsDataIsGoneFromTheListMembersGetAfterwards() {
        OwnRedis.cli("SET", "chat:generation", "g");
        String room = "lost-" + UUID.randomUUID().toString().substring(0, 6);
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            ChatClient carol = connect("carol");
            for (ChatClient client : new ChatClient[] {alice, bob, carol}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> OwnRedis.cli("ZCARD", RoomKeys.presence(room)).trim().equals("3"));

            OwnRedis.kill();
            carol.close();
            OwnRedis.startServer();
            OwnRedis.cli("SET", "chat:generation", "g2");

            // Redis came back empty: the gateway wrote its users again at its next heartbeat, and the list that follows
            // the reconnect holds those still here. Carol's leave never reached anyone before it.
            JsonObject list = alice.next(f -> "presence".equals(f.getString("type")), Duration.ofSeconds(20));
            assertEquals(List.of("alice", "bob"), list.getJsonArray("users").getList());
        }
    }

    /** Two users new to Redis and their direct-message room (Redis holds its generation marker: rooms may be new). */
    record Pair(String alice, String bob, String room) {
        static Pair fresh() {
            OwnRedis.cli("SET", "chat:generation", "g");
            String suffix = UUID.randomUUID().toString().substring(0, 6);
            return new Pair("alice" + suffix, "bob" + suffix, "dm:alice" + suffix + ":bob" + suffix);
        }
    }

    /** What another gateway's send leaves in Redis when this gateway's subscriber misses its publish. */
    private static void lostWhileCutOff(String recipient, String room, String from, long seq, String text) {
        long now = System.currentTimeMillis();
        OwnRedis.cli("ZADD", "chat:dms:{" + recipient + "}", Long.toString(now), room);
        OwnRedis.cli("INCR", "chat:{" + room + "}:seq");
        String payload = new JsonObject().put("type", "message").put("room", room).put("seq", seq).put("from", from)
                .put("text", text).put("ts", now).encode();
        OwnRedis.cli("XADD", "chat:{" + room + "}:log", seq + "-0", "m", payload, "t", Long.toString(now));
    }
}
