package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.HandshakeRequest;
import io.quarkus.websockets.next.OpenConnections;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The /chat endpoint on one gateway, against the real Redis: frames exactly as PROTOCOL.md says. */
@QuarkusTest
class ChatEndpointTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    OpenConnections connections;

    @Inject
    dev.chat.gateway.connection.ChatSessions sessions;

    @Inject
    NodeName node;

    String room;

    @BeforeEach
    void setUp() {
        // The history service owns this marker; without it the gateway treats Redis as having lost its data.
        redis.execute("SET", "chat:generation", "test", "NX");
        room = "room-" + UUID.randomUUID().toString().substring(0, 8);
    }

    ChatClient connect(String user) {
        ChatClient client = ChatClient.connect(vertx, base, Tokens.forUser(user));
        JsonObject welcome = client.next();
        assertEquals("welcome", welcome.getString("type"));
        assertEquals(user, welcome.getString("user"));
        assertNotNull(welcome.getString("node"));
        return client;
    }

    @Test
    void theUpgradesBrowserHeadersAreNotKeptWithTheConnection() throws Exception {
        String marker = UUID.randomUUID().toString();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort()).setURI("/chat")
                .addHeader("Authorization", "Bearer " + Tokens.forUser("cookie-user"))
                .addHeader("Cookie", "session=" + "s".repeat(500) + "; consent=yes")
                .addHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36")
                .addHeader("Accept-Language", "en-GB,en;q=0.9")
                .addHeader("X-Test-Marker", marker);
        WebSocket socket = vertx.createWebSocketClient().connect(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        try {
            HandshakeRequest kept = await().atMost(Duration.ofSeconds(10)).until(() -> connections.stream()
                    .map(c -> c.handshakeRequest()).filter(h -> marker.equals(h.header("X-Test-Marker"))).findFirst().orElse(null),
                    Objects::nonNull);
            // Found by its marker header: the other headers are kept as they came.
            assertNull(kept.header("Cookie"), "the connection keeps the upgrade's cookies");
            assertNull(kept.header("User-Agent"));
            assertNull(kept.header("Accept-Language"));
            assertNull(kept.header("Authorization"), "the connection keeps the token it was authenticated with");
        } finally {
            socket.close();
        }
    }

    static JsonObject join(ChatClient client, String room) {
        client.send(new JsonObject().put("type", "join").put("room", room).put("cid", "j-" + room));
        JsonObject joined = client.next("joined");
        assertEquals(room, joined.getString("room"));
        assertEquals("j-" + room, joined.getString("cid"));
        return joined;
    }

    static JsonObject send(ChatClient client, String room, String text, String cid) {
        client.send(new JsonObject().put("type", "send").put("room", room).put("text", text).put("cid", cid));
        return client.next("ack");
    }

    long subscribers(String room) {
        return redis.execute("PUBSUB", "NUMSUB", "chat:room:" + room).get(1).toLong();
    }

    @Test
    void aMessageReachesEveryMemberOnceWithItsSeqAndTheSenderGetsAnAck() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob"); ChatClient carol = connect("carol")) {
            JsonObject joined = join(alice, room);
            assertEquals(0, joined.getLong("seq"));
            assertNotNull(joined.getString("epoch"));
            assertNull(joined.getValue("recovered"), "recovered is only sent for a join with since");
            join(bob, room);
            join(carol, room);

            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "hello \"world\" ü 😀").put("cid", "c1"));
            JsonObject ack = alice.next("ack");
            JsonObject own = alice.next("message");
            assertEquals("c1", ack.getString("cid"));
            assertEquals(room, ack.getString("room"));
            assertEquals(1, ack.getLong("seq"));
            assertTrue(ack.getLong("ts") > 0);
            assertEquals("message", own.getString("type"));

            for (ChatClient member : new ChatClient[] {bob, carol}) {
                JsonObject message = member.next("message");
                assertEquals(room, message.getString("room"));
                assertEquals(1, message.getLong("seq"));
                assertEquals("alice", message.getString("from"));
                assertEquals("hello \"world\" ü 😀", message.getString("text"));
                assertEquals(ack.getLong("ts"), message.getLong("ts"));
                assertEquals("c1", message.getString("cid"));
                assertNull(member.pollNothing(300), "delivered exactly once");
            }
        }
    }

    /**
     * Tracing is off by default, and then a message carries no traceparent, neither delivered nor in the recent log
     * (Quarkus keeps a sampling tracer with its SDK disabled: a span made from it would put one in every message).
     */
    @Test
    void aMessageCarriesNoTraceparentWhenTracingIsOff() {
        try (ChatClient alice = connect("alice")) {
            join(alice, room);
            send(alice, room, "no trace", "u-1");
            JsonObject delivered = alice.next("message");
            assertNull(delivered.getString("traceparent"), "delivered: " + delivered);
            String logged = redis.execute("XRANGE", RoomKeys.log(room), "-", "+").get(0).get(1).get(1).toString();
            assertFalse(logged.contains("traceparent"), "the recent log entry: " + logged);
        }
    }

    @Test
    void aRoomIsSubscribedOncePerGatewayAndUnsubscribedWhenItsLastMemberLeaves() {
        ChatClient alice = connect("alice");
        ChatClient bob = connect("bob");
        ChatClient carol = connect("carol");
        join(alice, room);
        join(bob, room);
        join(carol, room);
        assertEquals(1, subscribers(room));

        alice.send(new JsonObject().put("type", "leave").put("room", room).put("cid", "l1"));
        JsonObject left = alice.next("left");
        assertEquals(room, left.getString("room"));
        assertEquals("l1", left.getString("cid"));
        bob.close();
        assertEquals(1, subscribers(room), "carol is still a member");

        carol.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> subscribers(room) == 0);
        alice.close();
    }

    @Test
    void aMemberWhoLeftReceivesNothingMore() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            join(alice, room);
            join(bob, room);
            bob.send(new JsonObject().put("type", "leave").put("room", room));
            bob.next("left");
            send(alice, room, "after bob left", "c1");
            assertNull(bob.pollNothing(500));
        }
    }

    @Test
    void joiningWithSinceReplaysTheGapThenDeliversLive() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            JsonObject joined = join(alice, room);
            for (int i = 1; i <= 5; i++) {
                send(alice, room, "m" + i, "c" + i);
            }
            bob.send(new JsonObject().put("type", "join").put("room", room).put("since", 2).put("epoch", joined.getString("epoch")));
            JsonObject bobJoined = bob.next();
            assertEquals("joined", bobJoined.getString("type"));
            assertEquals(5, bobJoined.getLong("seq"));
            assertEquals(true, bobJoined.getBoolean("recovered"));
            for (long seq = 3; seq <= 5; seq++) {
                JsonObject message = bob.next();
                assertEquals("message", message.getString("type"));
                assertEquals(seq, message.getLong("seq"));
            }
            send(alice, room, "m6", "c6");
            assertEquals(6, bob.next("message").getLong("seq"));
        }
    }

    @Test
    void aJoinWithAnotherEpochIsNotRecovered() {
        try (ChatClient alice = connect("alice")) {
            alice.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("epoch", "stale-epoch"));
            JsonObject joined = alice.next("joined");
            assertEquals(false, joined.getBoolean("recovered"));
        }
    }

    @Test
    void resendingTheSameCidReturnsTheOriginalAckAndCreatesNoSecondMessage() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            join(alice, room);
            join(bob, room);
            JsonObject first = send(alice, room, "once", "same-cid");
            JsonObject again = send(alice, room, "once", "same-cid");
            assertEquals(first, again);
            assertEquals(first.getLong("seq"), bob.next("message").getLong("seq"));
            assertNull(bob.pollNothing(500), "no second message");
        }
    }

    @Test
    void sendingToARoomNotJoinedIsRefused() {
        try (ChatClient alice = connect("alice")) {
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "hi").put("cid", "x"));
            assertError(alice.next(), "not_joined", "x");
            alice.send(new JsonObject().put("type", "leave").put("room", room).put("cid", "y"));
            assertError(alice.next(), "not_joined", "y");
        }
    }

    @Test
    void badInputGetsAnErrorAndTheConnectionStaysUsable() {
        try (ChatClient alice = connect("alice")) {
            alice.sendRaw("not json");
            assertError(alice.next(), "bad_request", null);
            alice.sendRaw("[1,2,3]");
            assertError(alice.next(), "bad_request", null);
            alice.send(new JsonObject().put("type", "dance").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", "bad room!").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", "x".repeat(65)).put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", room).put("since", "yesterday").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", room).put("since", -1).put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", room).put("presence", "all").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "join").put("room", room).put("presence", "NONE").put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", 42).put("cid", "t"));
            assertError(alice.next(), "bad_request", "t");
            alice.send(new JsonObject().put("type", "ping").put("cid", "c".repeat(65)));
            assertError(alice.next(), "bad_request", null);

            join(alice, room);
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "a".repeat(4001)).put("cid", "long"));
            assertError(alice.next("error"), "too_large", "long");
            JsonObject atLimit = send(alice, room, "a".repeat(4000), "limit");
            assertEquals(1, atLimit.getLong("seq"), "4,000 characters are allowed");

            alice.sendRaw(new JsonObject().put("type", "ping").put("pad", "p".repeat(70_000)).encode());
            assertError(alice.next("error"), "too_large", null);
            alice.sendBinary(new byte[] {1, 2, 3});
            assertError(alice.next("error"), "bad_request", null);

            alice.send(new JsonObject().put("type", "ping").put("cid", "still-here"));
            JsonObject pong = alice.next("pong");
            assertEquals("pong", pong.getString("type"));
            assertEquals("still-here", pong.getString("cid"));
            assertFalse(alice.isClosed());
        }
    }

    @Test
    void framesSentBeforeTheWelcomeAreAnsweredAfterItInTheOrderTheyCame() {
        String user = "early-" + UUID.randomUUID().toString().substring(0, 6);
        // Redis holds its writes: the opening waits for the user's online entry, so the welcome is late.
        redis.execute("CLIENT", "PAUSE", "1500", "WRITE");
        try (ChatClient client = ChatClient.connect(vertx, base, Tokens.forUser(user))) {
            client.send(new JsonObject().put("type", "ping").put("cid", "first"));
            client.sendBinary(new byte[] {1, 2, 3});
            client.send(new JsonObject().put("type", "ping").put("cid", "second"));
            assertEquals("welcome", client.next().getString("type"), "the welcome is the first frame");
            assertEquals("first", client.next().getString("cid"));
            assertError(client.next(), "bad_request", null);
            assertEquals("second", client.next().getString("cid"));
        } finally {
            redis.execute("CLIENT", "UNPAUSE");
        }
    }

    @Test
    void aConnectionClosedBeforeItsWelcomeLeavesNoSessionOrOnlineEntryBehind() {
        String user = "gone-" + UUID.randomUUID().toString().substring(0, 6);
        redis.execute("CLIENT", "PAUSE", "1500", "WRITE");
        try {
            ChatClient client = ChatClient.connect(vertx, base, Tokens.forUser(user));
            // This user's session, not a count: an earlier test's connection may still be closing meanwhile.
            await().atMost(Duration.ofSeconds(5)).until(() -> hasSession(user));
            client.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> !hasSession(user));
        } finally {
            redis.execute("CLIENT", "UNPAUSE");
        }
        // The close's cleanup records when the user was last seen. It runs after the opening's write of the online
        // entry, so once it has run the entry is gone for good (the other way round, it would stay until it expires).
        await().atMost(Duration.ofSeconds(10)).until(() -> redis.execute("EXISTS", RoomKeys.lastSeen(user)).toInteger() == 1);
        assertNull(redis.execute("ZSCORE", RoomKeys.online(user), node.name()), "the user is still online on this gateway");
        // The user's connection count was released too: the limit still lets them in.
        try (ChatClient again = connect(user)) {
            assertFalse(again.isClosed());
        }
    }

    @Test
    void directMessageRoomsAreOnlyForTheirTwoParticipants() {
        try (ChatClient carol = connect("carol"); ChatClient alice = connect("alice")) {
            carol.send(new JsonObject().put("type", "join").put("room", "dm:alice:bob").put("cid", "dm"));
            assertError(carol.next(), "forbidden", "dm");
            alice.send(new JsonObject().put("type", "join").put("room", "dm:alice:bob").put("cid", "dm"));
            assertEquals("joined", alice.next().getString("type"));
            alice.send(new JsonObject().put("type", "join").put("room", "dm:bob:alice").put("cid", "unsorted"));
            assertError(alice.next("error"), "bad_request", "unsorted");
        }
    }

    @Test
    void theConnectionsUserIsTheTokensSubjectWhateverOtherNamesTheTokenCarries() {
        // The upgrade hands the connection only its user (ConnectionIdentity, UpgradeIdentity): it must be the token's
        // sub, not the name a JWT principal would report (upn, then preferred_username).
        String token = Jwt.subject("subject-user").upn("upn-user").preferredUserName("preferred-user").issuer("chat")
                .expiresIn(3600).signWithSecret(Tokens.SECRET);
        try (ChatClient client = ChatClient.connect(vertx, base, token)) {
            JsonObject welcome = client.next();
            assertEquals("welcome", welcome.getString("type"));
            assertEquals("subject-user", welcome.getString("user"));
            client.send(new JsonObject().put("type", "join").put("room", "dm:other:subject-user").put("cid", "dm"));
            assertEquals("joined", client.next().getString("type"));
        }
    }

    @Test
    void theSenderIsTheAuthenticatedUserWhateverTheFrameClaims() {
        try (ChatClient alice = connect("alice"); ChatClient bob = connect("bob")) {
            join(alice, room);
            join(bob, room);
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "hi").put("from", "bob"));
            assertEquals("alice", bob.next("message").getString("from"));
        }
    }

    @Test
    void theAccessTokenQueryParameterAuthenticatesLikeTheHeader() {
        try (ChatClient browser = ChatClient.connectWithQueryToken(vertx, base, Tokens.forUser("dave"))) {
            assertEquals("dave", browser.next("welcome").getString("user"));
        }
    }

    @Test
    void anUpgradeWithoutAValidTokenFailsWith401() {
        assertEquals(101, ChatClient.upgradeStatus(vertx, base, Tokens.forUser("alice")));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, null));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, "not-a-jwt"));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.expired("alice")));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.forged("alice")));
        assertEquals(401, ChatClient.upgradeStatus(vertx, base, Tokens.wrongIssuer("alice")));
    }

    static void assertError(JsonObject frame, String code, String cid) {
        assertEquals("error", frame.getString("type"), frame.encode());
        assertEquals(code, frame.getString("code"), frame.encode());
        assertNotNull(frame.getString("message"));
        assertEquals(cid, frame.getString("cid"), frame.encode());
    }

    private boolean hasSession(String user) {
        return sessions.all().stream().anyMatch(session -> user.equals(session.user()));
    }
}
