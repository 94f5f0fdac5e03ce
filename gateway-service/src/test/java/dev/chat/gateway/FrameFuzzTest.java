package dev.chat.gateway;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and mutated frames against a live gateway: each is answered with an error (or a
 * normal reply) without a stack trace, the connection keeps working, other clients keep receiving,
 * readiness stays UP and memory stays bounded. Seeded, so a failure can be replayed.
 */
@QuarkusTest
class FrameFuzzTest {

    private static final long SEED = 20261123L;
    private static final int FRAMES = 10_000;
    private static final int BATCH = 50;
    private static final String MUTATIONS = "{}[]\":,\\0123456789eE-";

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    private final Random random = new Random(SEED);
    private String room;

    @Test
    void tenThousandHostileFramesAreAnsweredAndHurtNoOne() {
        redis.execute("SET", "chat:generation", "test", "NX");
        room = "fuzz-" + UUID.randomUUID().toString().substring(0, 8);
        System.gc();
        long heapBefore = usedHeap();

        try (ChatClient observer = ChatClient.connect(vertx, base, Tokens.forUser("observer"));
                ChatClient speaker = ChatClient.connect(vertx, base, Tokens.forUser("speaker"))) {
            observer.next("welcome");
            speaker.next("welcome");
            for (ChatClient client : new ChatClient[] {observer, speaker}) {
                client.send(new JsonObject().put("type", "join").put("room", room));
                client.next("joined");
            }

            ChatClient fuzzer = connectFuzzer();
            int sent = 0;
            int batches = 0;
            int reconnects = 0;
            java.util.Map<Integer, Integer> closeCodes = new java.util.TreeMap<>();
            while (sent < FRAMES) {
                List<JsonObject> answers;
                String cid = "probe-" + batches++;
                try {
                    for (int i = 0; i < BATCH && sent < FRAMES; i++, sent++) {
                        if (random.nextInt(20) == 0) {
                            fuzzer.sendBinary(randomBytes());
                        } else {
                            fuzzer.sendRaw(nextFrame());
                        }
                    }
                    // A ping after each batch proves the connection still answers, in order, after everything before it.
                    fuzzer.send(new JsonObject().put("type", "ping").put("cid", cid));
                    answers = drainUntilPong(fuzzer, cid);
                } catch (RuntimeException closedWhileSending) {
                    ChatClient closed = fuzzer;
                    org.awaitility.Awaitility.await().until(() -> closed.closeCode() != null);
                    answers = null;
                }
                if (answers == null) {
                    // Closed on purpose (abuse limits): allowed, but only with a policy close code.
                    assertTrue(fuzzer.closeCode() != null && (fuzzer.closeCode() == 1008 || fuzzer.closeCode() == 1009),
                            "closed with " + fuzzer.closeCode());
                    closeCodes.merge(fuzzer.closeCode(), 1, Integer::sum);
                    fuzzer = connectFuzzer();
                    reconnects++;
                    continue;
                }
                for (JsonObject answer : answers) {
                    assertNoLeak(answer);
                }
                // Meanwhile a legitimate member still gets through.
                if (batches % 40 == 0) {
                    speaker.send(new JsonObject().put("type", "send").put("room", room).put("text", "still fine " + batches).put("cid", "ok-" + batches));
                    assertEquals("still fine " + batches, nextMessageFrom(observer, "speaker").getString("text"));
                }
            }
            fuzzer.close();
            assertTrue(reconnects < batches, "the fuzzer mostly stayed connected: " + closeCodes);
            Management.given().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
        }
        System.gc();
        long growth = usedHeap() - heapBefore;
        assertTrue(growth < 64L * 1024 * 1024, "heap grew by " + growth + " bytes");
    }

    private ChatClient connectFuzzer() {
        ChatClient fuzzer = ChatClient.connect(vertx, base, Tokens.forUser("fuzzer"));
        fuzzer.next("welcome");
        return fuzzer;
    }

    /** Everything up to the pong with this cid; null if the connection closed first. */
    private static List<JsonObject> drainUntilPong(ChatClient client, String cid) {
        List<JsonObject> frames = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            // In short slices: a connection closed for abuse (every refusal counts) ends the wait at once.
            JsonObject frame = client.pollNothing(200);
            if (frame == null) {
                if (client.isClosed()) {
                    return null;
                }
                assertTrue(System.currentTimeMillis() < deadline, "no pong within 10 s on an open connection");
                continue;
            }
            if ("pong".equals(frame.getString("type")) && cid.equals(frame.getString("cid"))) {
                return frames;
            }
            frames.add(frame);
        }
    }

    private static JsonObject nextMessageFrom(ChatClient client, String user) {
        while (true) {
            JsonObject frame = client.next("message");
            if (user.equals(frame.getString("from"))) {
                return frame;
            }
        }
    }

    private static void assertNoLeak(JsonObject answer) {
        String type = answer.getString("type");
        assertFalse(type == null, "every frame has a type: " + answer);
        if ("error".equals(type)) {
            String message = answer.getString("message", "");
            assertFalse(message.contains("Exception") || message.contains("\tat ") || message.contains("dev.chat"),
                    "no internals in errors: " + message);
            assertTrue(List.of("bad_request", "forbidden", "not_joined", "too_large", "rate_limited", "unavailable").contains(answer.getString("code")),
                    "a protocol error code: " + answer);
        }
    }

    private String nextFrame() {
        return switch (random.nextInt(9)) {
            case 0 -> randomText(random.nextInt(200));
            case 1 -> "[".repeat(1 + random.nextInt(5000)) + "]".repeat(random.nextInt(3));
            case 2 -> "{\"type\":\"join\",\"room\":\"" + room + "\",\"since\":" + hugeNumber() + "}";
            case 3 -> wrongTypes();
            case 4 -> unicodeEdge();
            case 5 -> mutate(validFrame());
            case 6 -> "{\"a\":".repeat(1 + random.nextInt(3000)) + "1" + "}".repeat(random.nextInt(3000));
            case 7 -> "{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + "x".repeat(3990 + random.nextInt(30)) + "\"}";
            default -> validFrame();
        };
    }

    private String validFrame() {
        return switch (random.nextInt(7)) {
            case 0 -> "{\"type\":\"join\",\"room\":\"" + room + "\"}";
            case 1 -> "{\"type\":\"leave\",\"room\":\"" + room + "\"}";
            case 2 -> "{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"hello\",\"cid\":\"c" + random.nextInt(50) + "\"}";
            case 3 -> "{\"type\":\"typing\",\"room\":\"" + room + "\"}";
            case 4 -> "{\"type\":\"presence\",\"room\":\"" + room + "\"}";
            case 5 -> "{\"type\":\"read\",\"room\":\"" + room + "\",\"seq\":" + random.nextInt(10) + "}";
            default -> "{\"type\":\"ping\"}";
        };
    }

    private String mutate(String frame) {
        StringBuilder s = new StringBuilder(frame);
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && s.length() > 0; i++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(3)) {
                case 0 -> s.deleteCharAt(at);
                case 1 -> s.insert(at, (char) random.nextInt(0x3000));
                default -> s.setCharAt(at, MUTATIONS.charAt(random.nextInt(MUTATIONS.length())));
            }
        }
        return s.toString();
    }

    private String wrongTypes() {
        String[] values = {"5", "true", "null", "[]", "{}", "\"\"", "-1", "1.5", "\"" + "r".repeat(70) + "\""};
        String[] fields = {"type", "room", "text", "since", "seq", "cid", "to", "epoch"};
        StringBuilder s = new StringBuilder("{\"type\":\"" + new String[] {"join", "send", "read", "leave", "typing"}[random.nextInt(5)] + "\"");
        for (int i = 0; i < 1 + random.nextInt(4); i++) {
            s.append(",\"").append(fields[random.nextInt(fields.length)]).append("\":").append(values[random.nextInt(values.length)]);
        }
        return s.append('}').toString();
    }

    private String unicodeEdge() {
        String[] rooms = {"caf\u00e9", "\u202Eevil", "a\u0000b", "\uD83D\uDE00", "\uD800", "dm:a:\uFF41", "", " ", "dm:b:a", "dm:::"};
        String[] texts = {"\u0000", "\uD800", "\uDFFF\uD800", "\u202E\u200B", "\uFEFF", "e\u0301".repeat(1500), "\uD83D\uDE00".repeat(2001)};
        return random.nextBoolean()
                ? new JsonObject().put("type", "join").put("room", rooms[random.nextInt(rooms.length)]).encode()
                : new JsonObject().put("type", "send").put("room", room).put("text", texts[random.nextInt(texts.length)]).encode();
    }

    private String hugeNumber() {
        return switch (random.nextInt(4)) {
            case 0 -> "1" + "0".repeat(400);
            case 1 -> "9223372036854775808";
            case 2 -> "-99999999999999999999";
            default -> "1e308";
        };
    }

    private String randomText(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) random.nextInt(0xFFFF));
        }
        return s.toString();
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[random.nextInt(300)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
