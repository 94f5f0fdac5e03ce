package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A connect storm, as after a gateway restart sends every client back at once: thousands of clients
 * connect and join at the same time, and not one join is refused for lack of a Redis connection.
 * (The time it takes is a benchmark number, not asserted here.)
 */
@QuarkusTest
class ConnectStormTest {

    static final int CLIENTS = Integer.getInteger("storm.clients", 2000);
    static final int ROOMS = 20;

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    dev.chat.gateway.connection.ChatSessions sessions;

    /**
     * The clients without an answer, by how far they got: never connected, connected without a welcome, welcomed; for
     * each, how many text frames it received, and whether the gateway holds a session for it (none: its {@code @OnOpen}
     * never ran, or its session went). A held session is sent a probe frame: if that arrives, the way from the session
     * to the client works and the missing frame was never written; if not, the way itself is broken.
     */
    String unanswered(java.util.concurrent.atomic.AtomicIntegerArray stage, java.util.concurrent.atomic.AtomicIntegerArray received,
            String suffix) {
        int[] count = new int[3];
        StringBuilder which = new StringBuilder();
        for (int i = 0; i < stage.length(); i++) {
            int reached = stage.get(i);
            if (reached < 3) {
                count[reached]++;
                if (which.length() < 600) {
                    String user = "storm" + i + "-" + suffix;
                    List<dev.chat.gateway.connection.ChatSession> held = sessions.all().stream()
                            .filter(session -> session.user().equals(user)).toList();
                    which.append(" storm").append(i).append(" (stage ").append(reached).append(", frames ").append(received.get(i))
                            .append(", sessions ").append(held.size());
                    if (held.size() == 1) {
                        int index = i;
                        int before = received.get(i);
                        held.get(0).send(new JsonObject().put("type", "probe").encode());
                        boolean arrived;
                        try {
                            await().atMost(Duration.ofSeconds(3)).until(() -> received.get(index) > before);
                            arrived = true;
                        } catch (org.awaitility.core.ConditionTimeoutException e) {
                            arrived = false;
                        }
                        which.append(arrived ? ", a probe arrived" : ", a probe did not arrive");
                    }
                    which.append(')');
                }
            }
        }
        return "(not connected " + count[0] + ", connected but not welcomed " + count[1] + ", welcomed but not answered "
                + count[2] + ":" + which + ")";
    }

    @Test
    void onLinuxEverySocketRunsOnEpollNotNio() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        assertTrue(vertx.isNativeTransportEnabled(), () -> "epoll did not load: " + vertx.unavailableNativeTransportCause());
    }

    @Test
    void thousandsOfClientsJoiningAtOnceAreAllAdmittedWithoutUnavailable() throws Exception {
        redis.execute("SET", "chat:generation", "test", "NX");
        String suffix = UUID.randomUUID().toString().substring(0, 6);
        WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(CLIENTS));
        CountDownLatch done = new CountDownLatch(CLIENTS);
        AtomicInteger joined = new AtomicInteger();
        Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
        List<WebSocket> sockets = java.util.Collections.synchronizedList(new ArrayList<>());
        // How far each client got (0 nothing, 1 connected, 2 welcomed, 3 answered): a missing answer then says where it stopped.
        java.util.concurrent.atomic.AtomicIntegerArray stage = new java.util.concurrent.atomic.AtomicIntegerArray(CLIENTS);
        java.util.concurrent.atomic.AtomicIntegerArray received = new java.util.concurrent.atomic.AtomicIntegerArray(CLIENTS);
        List<String> tokens = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            tokens.add(Tokens.forUser("storm" + i + "-" + suffix));
        }
        long start = System.nanoTime();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                int index = i;
                String room = "storm-" + suffix + "-" + (i % ROOMS);
                WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort())
                        .setURI("/chat").addHeader("Authorization", "Bearer " + tokens.get(i));
                // Handlers first, then the connect: a socket whose handlers were set in the connect's callback could
                // already be reading (the callback runs late if this thread registers it after the connect completed).
                ClientWebSocket socket = client.webSocket();
                socket.textMessageHandler(text -> {
                    received.incrementAndGet(index);
                    JsonObject frame = new JsonObject(text);
                    switch (frame.getString("type")) {
                        case "welcome" -> {
                            stage.accumulateAndGet(index, 2, Math::max);
                            socket.writeTextMessage(new JsonObject().put("type", "join").put("room", room).encode());
                        }
                        case "joined" -> {
                            stage.set(index, 3);
                            joined.incrementAndGet();
                            done.countDown();
                        }
                        case "error" -> {
                            stage.set(index, 3);
                            errors.computeIfAbsent(frame.getString("code"), c -> new AtomicInteger()).incrementAndGet();
                            done.countDown();
                        }
                        default -> {
                        }
                    }
                });
                socket.closeHandler(closed -> {
                    // A connection closed before its answer is an answer too (a wrong one): say which close it was.
                    if (stage.getAndSet(index, 3) < 3) {
                        errors.computeIfAbsent("closed before joined: " + socket.closeStatusCode() + " " + socket.closeReason(),
                                c -> new AtomicInteger()).incrementAndGet();
                        done.countDown();
                    }
                });
                socket.connect(options).onSuccess(connected -> {
                    stage.accumulateAndGet(index, 1, Math::max);
                    sockets.add(connected);
                }).onFailure(e -> {
                    stage.set(index, 3);
                    errors.computeIfAbsent("connect: " + e.getMessage(), c -> new AtomicInteger()).incrementAndGet();
                    done.countDown();
                });
            }
            boolean answered = done.await(180, TimeUnit.SECONDS);
            assertTrue(answered, () -> "every client got an answer to its join; missing " + done.getCount() + " " + unanswered(stage, received, suffix));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("Connect storm: %d clients connected and joined %d rooms in %d ms; refusals %s%n", CLIENTS, ROOMS, millis, errors);
            assertEquals(Map.of(), Map.copyOf(errors), "no join refused");
            assertEquals(CLIENTS, joined.get());
        } finally {
            synchronized (sockets) {
                sockets.forEach(socket -> socket.close());
            }
            client.close();
        }
    }
}
