package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged gateway under the traffic it is built for, on a real Redis: a crowd connects and joins rooms
 * at once, members send while other clients come and go, and every member receives every message of its room
 * exactly once, in seq order.
 *
 * <p>This is also the training run of the JVM's AOT cache: built on JDK 25 or newer, the {@code aot-cache}
 * profile has Quarkus record what the packaged gateway loads and which methods run hot during the integration
 * tests, so a gateway started with that cache meets its first connect storm with the profiles of this one.
 */
@QuarkusIntegrationTest
@WithTestResource(ManagementPort.class) // the same launch as the other integration tests: one recording of all of them
class TrafficIT {

    static final int ROOMS = 60;
    static final int MEMBERS_PER_ROOM = 10;
    /** One message every tick, from the rooms in turn: 100 a second, 10 s of traffic. */
    static final int SEND_TICK_MS = 10;
    static final int MESSAGES = 1_000;
    static final int CHURN_TICK_MS = 25;
    static final int CHURN_HOLD_MS = 2_000;

    @TestHTTPResource("/")
    URI base;

    Vertx vertx;
    WebSocketClient client;
    final String run = UUID.randomUUID().toString().substring(0, 6);
    /** Every frame the gateway refused, wherever it came from. */
    final Queue<String> errors = new ConcurrentLinkedQueue<>();
    /** room -> seqs the gateway acknowledged to the room's sender. */
    final Map<String, Queue<Long>> acked = new ConcurrentHashMap<>();
    final AtomicInteger answered = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(10_000));
        // Rooms start once history has set the generation marker; no history runs here.
        String hosts = System.getenv().getOrDefault("QUARKUS_REDIS_HOSTS", "redis://127.0.0.1:6379");
        Redis redis = Redis.createClient(vertx, hosts);
        redis.send(Request.cmd(Command.SET).arg(RoomKeys.GENERATION).arg("test").arg("NX"))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        redis.close();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void membersReceiveEveryMessageOfTheirRoomOnceAndInOrderWhileOthersComeAndGo() {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < ROOMS * MEMBERS_PER_ROOM; i++) {
            String room = "traffic-" + run + "-" + (i % ROOMS);
            members.add(new Member("member" + i + "-" + run, room));
            acked.putIfAbsent(room, new ConcurrentLinkedQueue<>());
        }
        members.forEach(Member::connect);
        await(60, () -> members.stream().allMatch(m -> m.joined) || !errors.isEmpty(), "every member joined");
        assertEquals(List.of(), List.copyOf(errors), "nothing refused while the crowd joined");

        AtomicInteger churnStarted = new AtomicInteger();
        AtomicInteger churnJoined = new AtomicInteger();
        AtomicInteger tick = new AtomicInteger();
        long churning = vertx.setPeriodic(CHURN_TICK_MS, t -> {
            int n = churnStarted.getAndIncrement();
            churn("churner" + n + "-" + run, "traffic-" + run + "-" + (n % ROOMS), churnJoined);
        });
        vertx.setPeriodic(SEND_TICK_MS, t -> {
            // The first member of each room in turn; the churn stops with the sending.
            int n = tick.getAndIncrement();
            if (n < MESSAGES) {
                members.get(n % ROOMS).send();
            } else {
                vertx.cancelTimer(t);
                vertx.cancelTimer(churning);
            }
        });

        await(60, () -> answered.get() == MESSAGES, "every send answered");
        await(30, () -> members.stream().allMatch(m -> m.received.size() >= acked.get(m.room).size()), "every member caught up");
        await(30, () -> churnJoined.get() == churnStarted.get() || !errors.isEmpty(), "every churning client joined");

        assertEquals(List.of(), List.copyOf(errors), "nothing refused");
        assertTrue(churnJoined.get() > 0, "clients came and went during the traffic");
        for (Member member : members) {
            List<Long> expected = acked.get(member.room).stream().sorted().toList();
            assertEquals(expected, List.copyOf(member.received), () -> member.user + " got its room's messages once, in order");
        }
        System.out.printf("Traffic: %d members in %d rooms, %d messages, %d clients came and went%n",
                members.size(), ROOMS, MESSAGES, churnJoined.get());
    }

    private static void await(int seconds, BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(Duration.ofSeconds(seconds)).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    }

    private void connect(String user, BiConsumer<WebSocket, JsonObject> onFrame) {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort())
                .setURI("/chat").addHeader("Authorization", "Bearer " + Tokens.forUser(user));
        // The handler before the connect: one set in the connect's callback can miss the first frame (the welcome).
        ClientWebSocket socket = client.webSocket();
        socket.textMessageHandler(text -> {
            JsonObject frame = new JsonObject(text);
            if ("error".equals(frame.getString("type"))) {
                errors.add(user + ": " + text);
            }
            onFrame.accept(socket, frame);
        });
        socket.connect(options).onFailure(e -> errors.add(user + ": connect failed: " + e.getMessage()));
    }

    private static void join(WebSocket socket, String room) {
        socket.writeTextMessage(new JsonObject().put("type", "join").put("room", room).encode());
    }

    /** A client that connects, joins, stays a while and leaves, counted apart from the members. */
    private void churn(String user, String room, AtomicInteger joined) {
        connect(user, (socket, frame) -> {
            switch (frame.getString("type")) {
                case "welcome" -> join(socket, room);
                case "joined" -> {
                    joined.incrementAndGet();
                    vertx.setTimer(CHURN_HOLD_MS, t -> socket.close());
                }
                default -> {
                }
            }
        });
    }

    /** A client that stays for the whole test and checks what it receives. */
    final class Member {
        final String user;
        final String room;
        final Queue<Long> received = new ConcurrentLinkedQueue<>();
        volatile boolean joined;
        volatile WebSocket socket;
        int next;

        Member(String user, String room) {
            this.user = user;
            this.room = room;
        }

        void connect() {
            TrafficIT.this.connect(user, (socket, frame) -> {
                switch (frame.getString("type")) {
                    case "welcome" -> {
                        this.socket = socket;
                        join(socket, room);
                    }
                    case "joined" -> joined = true;
                    case "message" -> received.add(frame.getLong("seq"));
                    case "ack" -> {
                        acked.get(frame.getString("room")).add(frame.getLong("seq"));
                        answered.incrementAndGet();
                    }
                    case "error" -> {
                        if (frame.containsKey("cid")) {
                            answered.incrementAndGet();
                        }
                    }
                    default -> {
                    }
                }
            });
        }

        void send() {
            socket.writeTextMessage(new JsonObject().put("type", "send").put("room", room)
                    .put("text", "message " + next + " from " + user).put("cid", user + "-" + next++).encode());
        }
    }
}
