package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.DataInputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every frame type has its own budget per connection, refused with rate_limited before any Redis work;
 * every kind of refusal counts toward the abuse close (1008). Bursts of 3 and no refill make the bounds exact.
 */
@QuarkusTest
@TestProfile(FrameRatesTest.TinyBudgets.class)
class FrameRatesTest {

    static final int BURST = 3;

    public static class TinyBudgets implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new java.util.HashMap<>();
            for (String kind : new String[] {"message", "join", "leave", "read", "presence", "typing", "ping"}) {
                overrides.put("chat.limits." + kind + "-burst", Integer.toString(BURST));
            }
            overrides.put("chat.limits.messages-per-second", "0.0001");
            overrides.put("chat.limits.joins-per-second", "0.0001");
            overrides.put("chat.limits.leaves-per-second", "0.0001");
            overrides.put("chat.limits.reads-per-second", "0.0001");
            overrides.put("chat.limits.presence-per-second", "0.0001");
            overrides.put("chat.limits.typing-per-second", "0.0001");
            overrides.put("chat.limits.pings-per-second", "0.0001");
            overrides.put("chat.limits.rest-burst", Integer.toString(BURST));
            overrides.put("chat.limits.rest-per-second", "0.0001");
            overrides.put("chat.limits.abuse-threshold", "5");
            overrides.put("chat.limits.frame-bytes", "1024");
            return overrides;
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    String prefix;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        prefix = "rate-" + UUID.randomUUID().toString().substring(0, 6);
    }

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    /** Sends frame i (with cid "f{i}") and returns the reply about it (its answer or its error). */
    static JsonObject exchange(ChatClient client, JsonObject frame, String answerType) {
        String cid = frame.getString("cid");
        client.send(frame);
        return client.next(f -> cid.equals(f.getString("cid")) && (answerType.equals(f.getString("type")) || "error".equals(f.getString("type"))));
    }

    void assertBudget(String kind, String answerType, Function<Integer, JsonObject> frame) {
        try (ChatClient client = connect(prefix + "-" + kind)) {
            client.send(new JsonObject().put("type", "join").put("room", prefix + "-room"));
            client.next("joined");
            for (int i = 1; i <= BURST; i++) {
                JsonObject reply = exchange(client, frame.apply(i).put("cid", kind + i), answerType);
                assertEquals(answerType, reply.getString("type"), kind + " " + i + " is within the budget: " + reply);
            }
            JsonObject refused = exchange(client, frame.apply(BURST + 1).put("cid", kind + (BURST + 1)), answerType);
            assertEquals("rate_limited", refused.getString("code"), "the " + (BURST + 1) + "th " + kind + ": " + refused);
            assertTrue(!client.isClosed());
        }
    }

    @Test
    void pingsHaveABudget() {
        assertBudget("ping", "pong", i -> new JsonObject().put("type", "ping"));
    }

    @Test
    void webSocketPingsSpendThePingBudgetAndAFloodOfThemIsClosedWith1008() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            RawWebSocket.upgrade(socket, Tokens.forUser(prefix + "-pinger"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            for (int i = 0; i < 50; i++) {
                RawWebSocket.sendPing(socket.getOutputStream(), ("p" + i).getBytes(StandardCharsets.US_ASCII));
            }
            socket.setSoTimeout(10_000);
            List<String> pongs = new ArrayList<>();
            RawWebSocket.Frame frame;
            while ((frame = RawWebSocket.Frame.read(in)).opcode() != 0x8) {
                if (frame.opcode() == 0xA) {
                    pongs.add(frame.text());
                }
            }
            assertEquals(List.of("p0", "p1", "p2"), pongs, "the budget's pings are answered with their payloads, the rest are not");
            assertEquals(1008, frame.closeCode(), "the unanswered ones counted toward the abuse close");
            // No close reply from this client: the gateway reads nothing more, so it waits for none (Vert.x would wait 10 s)
            // and cuts the socket a second after its close frame.
            socket.setSoTimeout(5_000);
            try {
                while (in.read() >= 0) {
                    // nothing is left to read but the end
                }
            } catch (SocketTimeoutException stillOpen) {
                fail("the socket of a connection closed for abuse was still open 5 s later");
            } catch (SocketException reset) {
                // cut with the client's own bytes unread: a reset ends the stream too
            }
        }
    }

    /**
     * Once closed for abuse, a connection is read no further: a client that keeps flooding fills the sockets' buffers
     * and then blocks, until the cut. Read on, the gateway would take everything the client writes until its cut, about
     * a second later (hundreds of MB of pings on loopback).
     */
    @Test
    void aConnectionClosedForAbuseIsReadNoFurther() throws Exception {
        try (Socket socket = new Socket()) {
            // A fixed send buffer (no autotuning up to the host's tcp_wmem maximum) makes what the kernel holds known.
            socket.setSendBufferSize(256 * 1024);
            socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()));
            RawWebSocket.upgrade(socket, Tokens.forUser(prefix + "-flooder"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            long limit = 1L << 30;
            java.util.concurrent.CompletableFuture<Long> flood = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return RawWebSocket.floodPingsUntilCut(socket.getOutputStream(), limit);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            socket.setSoTimeout(10_000);
            assertEquals(1008, RawWebSocket.readUntilClose(in), "the flood is closed for abuse");
            long written = flood.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(written < limit, "the socket of a connection closed for abuse was cut");
            // What the flood could write is what the gateway read before its close, plus both sockets' buffers (the client's
            // 256 KiB, the gateway's 64 KiB, each of which the kernel counts twice).
            assertTrue(written < 8 * 1024 * 1024, "the gateway read on after its close: the client wrote " + written + " bytes");
        }
    }

    @Test
    void unsolicitedPongsSpendThePingBudgetToo() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            RawWebSocket.upgrade(socket, Tokens.forUser(prefix + "-ponger"));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            RawWebSocket.readUntil(in, "welcome");
            for (int i = 0; i < BURST; i++) {
                RawWebSocket.sendPong(socket.getOutputStream(), new byte[0]);
            }
            RawWebSocket.sendText(socket.getOutputStream(), new JsonObject().put("type", "ping").put("cid", "after-pongs").encode());
            socket.setSoTimeout(10_000);
            JsonObject refused = RawWebSocket.readUntil(in, "error");
            assertEquals("rate_limited", refused.getString("code"), "the pongs spent the budget the ping frame needed: " + refused);
            assertEquals("after-pongs", refused.getString("cid"));
            for (int i = 0; i < 10; i++) {
                RawWebSocket.sendPong(socket.getOutputStream(), new byte[0]);
            }
            assertEquals(1008, RawWebSocket.readUntilClose(in), "a flood of pongs is closed like any refused frames");
        }
    }

    @Test
    void presenceQueriesHaveABudget() {
        assertBudget("presence", "presence", i -> new JsonObject().put("type", "presence").put("room", prefix + "-room"));
    }

    @Test
    void restPresenceQueriesHaveABudgetPerCaller() {
        String caller = Tokens.forUser(prefix + "-dashboard");
        for (int i = 1; i <= BURST; i++) {
            given().auth().oauth2(caller).get(base.resolve("/rooms/" + prefix + "-room/presence"))
                    .then().statusCode(200);
        }
        given().auth().oauth2(caller).get(base.resolve("/users/" + prefix + "-someone/presence"))
                .then().statusCode(429).header("Retry-After", "1").body("code", is("rate_limited"));
        // The budget is the caller's: another caller is answered.
        given().auth().oauth2(Tokens.forUser(prefix + "-other")).get(base.resolve("/rooms/" + prefix + "-room/presence"))
                .then().statusCode(200);
    }

    @Test
    void leavesHaveABudget() {
        // A leave of a room not joined is answered not_joined: it still spends the budget.
        try (ChatClient client = connect(prefix + "-leaver")) {
            for (int i = 1; i <= BURST; i++) {
                JsonObject reply = exchange(client, new JsonObject().put("type", "leave").put("room", prefix + "-n" + i).put("cid", "l" + i), "left");
                assertEquals("not_joined", reply.getString("code"));
            }
            assertEquals("rate_limited", exchange(client, new JsonObject().put("type", "leave").put("room", prefix + "-n9").put("cid", "l9"), "left").getString("code"));
        }
    }

    @Test
    void readMarkersHaveABudgetAndRefusedOnesNeverReachRedis() {
        String stream = "chat:activity";
        try (ChatClient client = connect(prefix + "-reader")) {
            client.send(new JsonObject().put("type", "join").put("room", prefix + "-room"));
            client.next("joined");
            long before = redis.execute("XLEN", stream).toLong();
            int reads = BURST + 3;
            for (int i = 1; i <= reads; i++) {
                client.send(new JsonObject().put("type", "read").put("room", prefix + "-room").put("seq", i).put("cid", "r" + i));
            }
            // A presence query after them: once its answer is here, every read before it was handled (frames are handled in order).
            client.send(new JsonObject().put("type", "presence").put("room", prefix + "-room").put("cid", "after"));
            client.next(f -> "after".equals(f.getString("cid")));
            long refused = 0;
            for (int i = 0; i < reads - BURST; i++) {
                JsonObject error = client.next("error");
                assertEquals("rate_limited", error.getString("code"));
                refused++;
            }
            assertEquals(reads - BURST, refused);
            long written = redis.execute("XLEN", stream).toLong() - before;
            // +1: the join's own activity entry is written in the background and may land after `before`.
            assertTrue(written <= BURST + 1, "only the budget's reads were written to Redis: " + written);
        }
    }

    @Test
    void typingHasABudget() {
        try (ChatClient client = connect(prefix + "-typist")) {
            client.send(new JsonObject().put("type", "join").put("room", prefix + "-room"));
            client.next("joined");
            for (int i = 1; i <= BURST + 1; i++) {
                client.send(new JsonObject().put("type", "typing").put("room", prefix + "-room").put("cid", "t" + i));
            }
            JsonObject refused = client.next("error");
            assertEquals("rate_limited", refused.getString("code"));
            assertEquals("t" + (BURST + 1), refused.getString("cid"));
        }
    }

    @Test
    void aRefusalIsAnsweredWhileRedisIsStalled() {
        try (ChatClient client = connect(prefix + "-stalled")) {
            for (int i = 1; i <= BURST; i++) {
                assertEquals("presence", exchange(client, new JsonObject().put("type", "presence").put("room", prefix + "-room").put("cid", "p" + i), "presence").getString("type"));
            }
            redis.execute("CLIENT", "PAUSE", "2000", "ALL");
            long start = System.nanoTime();
            JsonObject refused = exchange(client, new JsonObject().put("type", "presence").put("room", prefix + "-room").put("cid", "p-over"), "presence");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals("rate_limited", refused.getString("code"));
            assertTrue(millis < 1500, "refused without waiting for Redis (paused for 2 s): " + millis + " ms");
            redis.execute("PING"); // returns once the pause is over, so the next test finds Redis awake
        }
    }

    @Test
    void everyKindOfRefusalCountsTowardTheAbuseClose() {
        try (ChatClient client = connect(prefix + "-mallory")) {
            client.sendRaw("not json");                                                                    // bad_request
            client.send(new JsonObject().put("type", "join").put("room", "dm:alice:bob"));                 // forbidden
            client.send(new JsonObject().put("type", "send").put("room", prefix + "-x").put("text", "hi")); // not_joined
            client.sendRaw("{\"type\":\"ping\",\"pad\":\"" + "p".repeat(2000) + "\"}");                    // too_large
            for (String code : new String[] {"bad_request", "forbidden", "not_joined", "too_large"}) {
                assertEquals(code, client.next("error").getString("code"));
            }
            assertTrue(!client.isClosed(), "four refusals are below the threshold of five");
            client.sendBinary(new byte[] {1, 2, 3});                                                        // bad_request
            await().atMost(Duration.ofSeconds(10)).until(() -> client.closeCode() != null);
            assertEquals(1008, client.closeCode());
        }
    }
}
