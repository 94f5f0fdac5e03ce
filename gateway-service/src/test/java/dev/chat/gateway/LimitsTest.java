package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.PipeliningClient;
import dev.chat.common.testing.SilentSockets;
import dev.chat.gateway.connection.ChatSessions;
import dev.chat.gateway.connection.LimitPolicy;
import dev.chat.gateway.connection.SocketCap;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.jwt.build.Jwt;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Abuse limits observed exactly at their bounds, with small limits and no refill to make the bounds exact. */
@QuarkusTest
@TestProfile(LimitsTest.SmallLimits.class)
class LimitsTest {

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(
                    // The pipelining test asks for presence 300 times with one token.
                    Map.entry("chat.limits.rest-burst", "1000"),
                    Map.entry("chat.limits.messages-per-second", "0.0001"),
                    Map.entry("chat.limits.message-burst", "5"),
                    Map.entry("chat.limits.user-messages-per-second", "0.0001"),
                    Map.entry("chat.limits.user-message-burst", "8"),
                    Map.entry("chat.limits.joins-per-second", "0.0001"),
                    Map.entry("chat.limits.join-burst", "4"),
                    Map.entry("chat.limits.rooms-per-connection", "3"),
                    Map.entry("chat.limits.connections-per-user", "3"),
                    Map.entry("chat.limits.connects-per-second", "0.0001"),
                    Map.entry("chat.limits.connect-burst", "6"),
                    Map.entry("chat.limits.abuse-threshold", "6"),
                    Map.entry("chat.limits.max-connections", "8"),
                    // The public port's sockets are capped at 108 (SocketCap), silent ones closed after 15 s; no
                    // keep-alive pings, so that a silent chat connection stays silent.
                    Map.entry("quarkus.http.idle-timeout", "15S"),
                    Map.entry("chat.limits.ping-interval", "0"),
                    Map.entry("chat.allowed-origins", "https://chat.example.com"));
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    ChatSessions sessions;

    @Inject
    LimitPolicy limits;

    String prefix;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        prefix = "lim-" + UUID.randomUUID().toString().substring(0, 6);
    }

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    static JsonObject send(ChatClient client, String room, String cid) {
        client.send(new JsonObject().put("type", "send").put("room", room).put("text", "x").put("cid", cid));
        JsonObject reply;
        do {
            reply = client.next();
        } while (!"ack".equals(reply.getString("type")) && !"error".equals(reply.getString("type")));
        return reply;
    }

    @Test
    void theFifthMessageIsAcceptedAndTheSixthIsRateLimited() {
        String room = prefix + "-r";
        try (ChatClient alice = connect(prefix + "-alice")) {
            alice.send(new JsonObject().put("type", "join").put("room", room));
            alice.next("joined");
            for (int i = 1; i <= 5; i++) {
                assertEquals("ack", send(alice, room, "m" + i).getString("type"), "message " + i);
            }
            JsonObject refused = send(alice, room, "m6");
            assertEquals("rate_limited", refused.getString("code"));
            assertEquals("m6", refused.getString("cid"));
        }
    }

    @Test
    void theUserLimitSpansConnections() {
        String user = prefix + "-bob";
        String room = prefix + "-u";
        try (ChatClient one = connect(user); ChatClient two = connect(user)) {
            for (ChatClient client : new ChatClient[] {one, two}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }
            for (int i = 1; i <= 5; i++) {
                assertEquals("ack", send(one, room, "a" + i).getString("type"));
            }
            for (int i = 1; i <= 3; i++) {
                assertEquals("ack", send(two, room, "b" + i).getString("type"), "the user's 8 messages");
            }
            assertEquals("rate_limited", send(two, room, "b4").getString("code"), "the 9th of the user is refused");
        }
    }

    @Test
    void directMessagesStillQueuedWhenTheUsersLastConnectionClosesAreSentAndLeaveNoBudgetBehind() {
        String user = prefix + "-quitter";
        String watcherId = prefix + "-watcher";
        try (ChatClient watcher = connect(watcherId)) {
            ChatClient quitter = connect(user);
            // Sent without waiting, then closed: the second and third wait behind the first's publish, and the close
            // comes before its answer.
            for (int i = 1; i <= 3; i++) {
                quitter.send(new JsonObject().put("type", "send").put("to", watcherId).put("text", "bye " + i).put("cid", "q" + i));
            }
            quitter.close();
            for (int i = 1; i <= 3; i++) {
                String text = "bye " + i;
                assertEquals(user, watcher.next(f -> "message".equals(f.getString("type")) && text.equals(f.getString("text")))
                        .getString("from"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> sessions.all().stream().noneMatch(s -> s.user().equals(user)));
            assertFalse(limits.remembersBudgetOf(user), "a budget nothing would forget: the user has no connection here");
        }
    }

    @Test
    void roomsPerConnectionAndJoinRateAreBounded() {
        try (ChatClient carol = connect(prefix + "-carol")) {
            for (int i = 1; i <= 3; i++) {
                carol.send(new JsonObject().put("type", "join").put("room", prefix + "-j" + i));
                assertEquals("joined", carol.next("joined").getString("type"));
            }
            carol.send(new JsonObject().put("type", "join").put("room", prefix + "-j4").put("cid", "fourth"));
            JsonObject refused = carol.next("error");
            assertEquals("rate_limited", refused.getString("code"));
            assertEquals("fourth", refused.getString("cid"));

            carol.send(new JsonObject().put("type", "leave").put("room", prefix + "-j1"));
            carol.next("left");
            carol.send(new JsonObject().put("type", "join").put("room", prefix + "-j5").put("cid", "fifth-join"));
            assertEquals("rate_limited", carol.next("error").getString("code"), "the join burst of 4 is used up");
        }
    }

    @Test
    void aUserMayHoldThreeConnectionsButNotFour() {
        String user = prefix + "-dave";
        try (ChatClient a = connect(user); ChatClient b = connect(user); ChatClient c = connect(user)) {
            ChatClient d = ChatClient.connect(vertx, base, Tokens.forUser(user));
            JsonObject refused = d.next("error");
            assertEquals("rate_limited", refused.getString("code"));
            await().atMost(Duration.ofSeconds(5)).until(() -> d.closeCode() != null);
            assertEquals(1013, d.closeCode());
            assertTrue(!a.isClosed() && !b.isClosed() && !c.isClosed());
        }
    }

    @Test
    void aUserInAConnectLoopIsRefusedPastItsConnectBurstAlthoughEachConnectionClosedBeforeTheNext() {
        String user = prefix + "-loop";
        for (int i = 0; i < 6; i++) {
            connect(user).close();
        }
        ChatClient seventh = ChatClient.connect(vertx, base, Tokens.forUser(user));
        JsonObject refused = seventh.next("error");
        assertEquals("rate_limited", refused.getString("code"));
        assertTrue(refused.getString("message").contains("too many connects"), refused::encode);
        await().atMost(Duration.ofSeconds(5)).until(() -> seventh.closeCode() != null);
        assertEquals(1013, seventh.closeCode());
        try (ChatClient other = connect(prefix + "-not-looping")) {
            assertTrue(!other.isClosed(), "another user connects as before");
        }
    }

    @Test
    void aGatewayAtItsConnectionLimitRefusesFurtherUpgradesWith503() {
        // From a gateway holding none: a connection another test closed for abuse keeps its socket for a second.
        await().atMost(Duration.ofSeconds(10)).until(() -> sessions.count() == 0);
        java.util.List<ChatClient> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                open.add(connect(prefix + "-crowd" + i));
            }
            assertEquals(503, ChatClient.upgradeStatus(vertx, base, Tokens.forUser(prefix + "-one-too-many")));
            open.remove(0).close();
            await().atMost(Duration.ofSeconds(5)).until(() -> ChatClient.upgradeStatus(vertx, base, Tokens.forUser(prefix + "-next")) == 101);
        } finally {
            open.forEach(ChatClient::close);
        }
    }

    @Test
    void theSocketsOfThePublicPortAreCappedAboveItsConnectionLimitWhenNothingElseSetsIt() {
        ConfigValue cap = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigValue(SocketCap.PROPERTY);
        assertTrue(cap.getSourceName().contains(SocketCap.NAME), "set by " + cap.getSourceName());
        assertEquals("108", cap.getValue(), "8 connections and room for 100 more sockets");
    }

    @Test
    void socketsPastTheCapAreClosedAtOnceAndTheirSlotsComeBack() throws Exception {
        // None of them ever sends a byte: no token is needed to hold a socket.
        try (SilentSockets flood = SilentSockets.open(base, 120)) {
            // Past the cap every socket is closed: at least the 12 past 108, more while sockets of the earlier tests'
            // clients are still open (kept-alive HTTP connections). Which ones depends on which event loop took each.
            await().atMost(Duration.ofSeconds(8)).until(() -> flood.closedByTheService() >= 12);
            // Well before the idle timeout (15 s), which would close them all: those within the cap are still open.
            assertTrue(flood.closed().size() <= 30, "about 108 sockets were let in: " + (120 - flood.closed().size()));
            assertFalse(flood.closed().contains(0), "the first socket is still open");
        }
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
                .until(() -> ChatClient.upgradeStatus(vertx, base, Tokens.forUser(prefix + "-after-flood")) == 101);
    }

    @Test
    void pipelinedRequestsAreEachAnsweredInTurn() throws Exception {
        // A path that does not exist is answered at once; presence asks Redis first, and the requests behind it wait.
        PipeliningClient.assertEveryRequestIsAnswered(base, "GET /no-such-path HTTP/1.1\r\nHost: localhost\r\n", 300, 404);
        PipeliningClient.assertEveryRequestIsAnswered(base, "GET /rooms/" + prefix + "-room/presence HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + Tokens.forUser(prefix + "-piper") + "\r\n", 300, 200);
    }

    @Test
    void aClientThatPipelinesRequestsAndNeverReadsTheAnswersIsNoLongerRead() throws Exception {
        // No token needed: a path that does not exist is answered 404 at once, as readily as any.
        PipeliningClient.assertTheServiceStopsReading(base, "GET /no-such-path HTTP/1.1\r\nHost: localhost\r\n");
    }

    @Test
    void aSocketThatNeverFinishesItsRequestIsClosedWhileAChatConnectionAsSilentStaysOpen() throws Exception {
        try (ChatClient quiet = connect(prefix + "-quiet-one")) {
            SilentSockets.assertAnUnfinishedRequestIsClosedAfterItsIdleTimeout(base, "GET /chat?access_token=");
            // As silent for as long, yet open: a chat connection's silence is chat.limits.idle-timeout's (75 s).
            assertNull(quiet.closeCode());
            quiet.send(new JsonObject().put("type", "ping").put("cid", "still-here"));
            assertEquals("still-here", quiet.next("pong").getString("cid"));
        }
    }

    @Test
    void aFrameOfExactly64KiBIsReadAndOneByteMoreIsTooLarge() {
        try (ChatClient ivan = connect(prefix + "-ivan")) {
            String head = "{\"type\":\"ping\",\"cid\":\"fits\",\"pad\":\"";
            String tail = "\"}";
            String exact = head + "p".repeat(65536 - head.length() - tail.length()) + tail;
            assertEquals(65536, exact.getBytes(StandardCharsets.UTF_8).length);
            ivan.sendRaw(exact);
            assertEquals("fits", ivan.next("pong").getString("cid"));
            ivan.sendRaw(head.replace("fits", "over") + "p".repeat(65537 - head.length() - tail.length()) + tail);
            assertEquals("too_large", ivan.next("error").getString("code"));
        }
    }

    @Test
    void sustainedAbuseClosesTheConnectionWith1008() {
        String room = prefix + "-abuse";
        try (ChatClient eve = connect(prefix + "-eve")) {
            eve.send(new JsonObject().put("type", "join").put("room", room));
            eve.next("joined");
            for (int i = 0; i < 20 && !eve.isClosed(); i++) {
                eve.send(new JsonObject().put("type", "send").put("room", room).put("text", "spam").put("cid", "s" + i));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> eve.closeCode() != null);
            assertEquals(1008, eve.closeCode());
        }
    }

    @Test
    void aConnectionEndsWith1008WhenItsTokenExpiresAndOnlyThen() {
        String token = Jwt.subject(prefix + "-frank").issuer("chat").expiresIn(Duration.ofSeconds(2)).signWithSecret(Tokens.SECRET);
        try (ChatClient grace = connect(prefix + "-grace")) {
            ChatClient frank = ChatClient.connect(vertx, base, token);
            frank.next("welcome");
            await().atMost(Duration.ofSeconds(10)).until(() -> frank.closeCode() != null);
            assertEquals(1008, frank.closeCode());
            // The sweep that closed frank also saw grace, whose token is valid for an hour: she is still served.
            assertNull(grace.closeCode());
            grace.send(new JsonObject().put("type", "join").put("room", prefix + "-expiry").put("cid", "after"));
            assertEquals("joined", grace.next("joined").getString("type"));
        }
    }

    @Test
    void browserUpgradesAreCheckedAgainstTheAllowedOrigins() throws Exception {
        assertEquals(101, upgradeWithOrigin("https://chat.example.com"));
        assertEquals(403, upgradeWithOrigin("https://evil.example.net"));
    }

    int upgradeWithOrigin(String origin) throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            String request = "GET /chat HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: " + origin + "\r\n"
                    + "Authorization: Bearer " + Tokens.forUser("origin-test") + "\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder status = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                status.append((char) c);
            }
            return Integer.parseInt(status.toString().split(" ")[1]);
        }
    }

    @Test
    void nothingOfThisReachesOtherRoomsMembers() {
        String room = prefix + "-quiet";
        try (ChatClient alice = connect(prefix + "-gina"); ChatClient observer = connect(prefix + "-hank")) {
            observer.send(new JsonObject().put("type", "join").put("room", room));
            observer.next("joined");
            alice.send(new JsonObject().put("type", "send").put("room", room).put("text", "not joined").put("cid", "nj"));
            assertEquals("not_joined", alice.next("error").getString("code"));
            assertNull(observer.pollNothing(300));
        }
    }
}
