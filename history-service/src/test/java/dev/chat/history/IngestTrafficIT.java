package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged history service under the traffic it is built for, on the real Redis and PostgreSQL: many rooms
 * publish in bursts, as a gateway's sends do, members join and read, and clients replay while it ingests. Every
 * message is stored once and replayed in seq order, and every member's room list counts what it has not read.
 *
 * <p>This is also the training run of the JVM's AOT cache (root pom, profile {@code aot-cache}, JDK 25 or newer):
 * a history service started with that cache meets its first traffic with the profiles of this ingest, not only
 * those of a start.
 */
@QuarkusIntegrationTest
@WithTestResource(ManagementPort.class) // the same launch as the other integration tests: one recording of all of them
class IngestTrafficIT {

    static final int ROOMS = 40;
    static final int MEMBERS_PER_ROOM = 5;
    static final int MESSAGES_PER_ROOM = 150;
    /** Messages per publish, as several sends of a room that Redis runs back to back. */
    static final int BURST = 3;
    /** One burst every tick, to the rooms in turn: 600 messages a second, 10 s of traffic. */
    static final int TICK_MS = 5;
    static final int REPLAY_LIMIT = 100;
    static final Duration WAIT = Duration.ofSeconds(60);

    final String run = UUID.randomUUID().toString().substring(0, 6);
    final String sender = "poster-" + run;
    Vertx vertx;
    /** One connection, so that each room's bursts reach Redis in seq order, as one gateway's sends of a room do. */
    RedisConnection redis;
    long publishing;
    volatile Future<Response> lastPublish = Future.succeededFuture();
    /** Every Redis call that failed. */
    final Queue<String> failures = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        String hosts = System.getenv().getOrDefault("QUARKUS_REDIS_HOSTS", "redis://127.0.0.1:6379");
        redis = Redis.createClient(vertx, hosts).connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // Messages published before the subscription is in place would only arrive through the sweep.
        Awaitility.await("history subscribed").atMost(WAIT).until(() -> "UP".equals(Management.given()
                .get("/q/health/group/ingest").jsonPath().getString("checks.find { it.name == 'redis-subscriber' }.status")));
    }

    @AfterEach
    void stop() throws Exception {
        vertx.cancelTimer(publishing);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void everyMessageOfTenBusySecondsIsStoredOnceAndReplayedInOrderWhileClientsReplay() {
        List<String> rooms = new ArrayList<>();
        List<String> joins = new ArrayList<>();
        for (int r = 0; r < ROOMS; r++) {
            rooms.add("traffic-" + run + "-" + r);
            for (int m = 0; m < MEMBERS_PER_ROOM; m++) {
                joins.addAll(Gateway.activityEntry("join", member(r, m), rooms.get(r), 0));
            }
        }
        eval(Gateway.XADD_ALL, Gateway.ACTIVITY, joins);

        AtomicInteger bursts = new AtomicInteger();
        int totalBursts = ROOMS * MESSAGES_PER_ROOM / BURST;
        publishing = vertx.setPeriodic(TICK_MS, t -> {
            int n = bursts.getAndIncrement();
            if (n >= totalBursts) {
                vertx.cancelTimer(t);
                return;
            }
            int r = n % ROOMS;
            long to = (long) (n / ROOMS + 1) * BURST;
            List<String> burst = Gateway.burstArguments(rooms.get(r), to - BURST + 1, to, sender);
            lastPublish = send(Request.cmd(Command.EVAL), burst);
            // The members take turns reading, a little behind (below every member's last read further down).
            long read = Math.max(1, to - MEMBERS_PER_ROOM);
            eval(Gateway.XADD_ALL, Gateway.ACTIVITY, Gateway.activityEntry("read", member(r, n / ROOMS % MEMBERS_PER_ROOM), rooms.get(r), read));
        });

        // Reconnecting clients replay while the traffic is ingested, from somewhere in what was published so far: a
        // page has no hole, it runs from their position to where the room is stored contiguously (or a page's worth).
        long started = System.nanoTime();
        int replays = 0;
        int pagesWithMessages = 0;
        while (bursts.get() < totalBursts && failures.isEmpty()) {
            int n = bursts.get();
            String room = rooms.get(ThreadLocalRandom.current().nextInt(ROOMS));
            long after = ThreadLocalRandom.current().nextLong(Math.max(1, (long) n / ROOMS * BURST));
            Page page = replayWhileIngesting(room, after);
            List<Long> expected = LongStream.rangeClosed(after + 1, Math.min(page.storedThrough(), after + REPLAY_LIMIT)).boxed().toList();
            assertEquals(expected, page.seqs(), () -> room + " after " + after + ", stored through " + page.storedThrough());
            replays++;
            pagesWithMessages += page.seqs().isEmpty() ? 0 : 1;
        }
        // All sends went out on one connection: once the last is answered, every one is.
        lastPublish.toCompletionStage().toCompletableFuture().handle((reply, failure) -> reply).join();
        assertEquals(List.of(), List.copyOf(failures), "every publish reached Redis");
        assertTrue(pagesWithMessages > 0, "clients replayed messages during the traffic (" + replays + " replays)");
        long published = System.nanoTime();

        List<Long> everySeq = LongStream.rangeClosed(1, MESSAGES_PER_ROOM).boxed().toList();
        awaitEach("every room stored and replayed whole", rooms, room -> everySeq.equals(replay(room, 0, 500))
                && Long.toString(MESSAGES_PER_ROOM).equals(get(RoomKeys.stored(room))));
        long stored = System.nanoTime();

        // Each member's last read is behind by its place in the room: that many messages are unread.
        List<String> lastReads = new ArrayList<>();
        Map<String, Map<String, Object>> expectedRooms = new HashMap<>();
        for (int r = 0; r < ROOMS; r++) {
            for (int m = 0; m < MEMBERS_PER_ROOM; m++) {
                lastReads.addAll(Gateway.activityEntry("read", member(r, m), rooms.get(r), MESSAGES_PER_ROOM - m));
                expectedRooms.put(member(r, m), Map.of("room", rooms.get(r), "lastSeq", MESSAGES_PER_ROOM,
                        "readSeq", MESSAGES_PER_ROOM - m, "unread", m, "unreadCapped", false));
            }
        }
        eval(Gateway.XADD_ALL, Gateway.ACTIVITY, lastReads);
        awaitEach("every member's room list", expectedRooms.keySet(), user -> List.of(expectedRooms.get(user)).equals(
                given().auth().oauth2(TestTokens.valid(user)).get("/users/me/rooms").then().statusCode(200).extract().jsonPath().getList("rooms")));
        System.out.printf("Ingest traffic: %d messages in %d rooms published in %d ms with %d replays (%d with messages), all stored"
                + " %d ms later, read positions %d ms after that%n", ROOMS * MESSAGES_PER_ROOM, ROOMS, (published - started) / 1_000_000,
                replays, pagesWithMessages,
                (stored - published) / 1_000_000, (System.nanoTime() - stored) / 1_000_000);
    }

    /** Waits until {@code done} held for each item once (items that got there are not asked again). */
    private static <T> void awaitEach(String what, Collection<T> items, Predicate<T> done) {
        Set<T> pending = new HashSet<>(items);
        Awaitility.await(what).atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    pending.removeIf(done);
                    return pending.isEmpty();
                });
    }

    private String member(int room, int place) {
        return "member" + room + "." + place + "-" + run;
    }

    private static List<Long> replay(String room, long after, int limit) {
        return request(room, after, limit).then().statusCode(200).extract().jsonPath().getList("messages.seq", Long.class);
    }

    /** A page's seqs and the room's contiguously stored position (README: {@code storedThrough}). */
    record Page(List<Long> seqs, long storedThrough) {
    }

    /** A replay that may come before the room's first message is stored: then the room is unknown (404). */
    private static Page replayWhileIngesting(String room, long after) {
        io.restassured.response.Response response = request(room, after, REPLAY_LIMIT);
        if (response.statusCode() == 404) {
            assertEquals("not_found", response.jsonPath().getString("code"), () -> room + ": " + response.asString());
            return new Page(List.of(), 0);
        }
        var body = response.then().statusCode(200).extract().jsonPath();
        return new Page(body.getList("messages.seq", Long.class), body.getLong("storedThrough"));
    }

    private static io.restassured.response.Response request(String room, long after, int limit) {
        return given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .queryParam("after", after).queryParam("limit", limit).get("/rooms/{room}/messages");
    }

    private void eval(String script, String key, List<String> arguments) {
        List<String> all = new ArrayList<>(List.of(script, "1", key));
        all.addAll(arguments);
        send(Request.cmd(Command.EVAL), all);
    }

    private Future<Response> send(Request request, List<String> arguments) {
        arguments.forEach(request::arg);
        return redis.send(request).onFailure(e -> failures.add(e.getMessage()));
    }

    private String get(String key) {
        try {
            Response value = redis.send(Request.cmd(Command.GET).arg(key)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return value == null ? null : value.toString();
        } catch (Exception e) {
            throw new IllegalStateException("GET " + key, e);
        }
    }
}
