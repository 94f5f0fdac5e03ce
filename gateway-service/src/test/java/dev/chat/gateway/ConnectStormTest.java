package dev.chat.gateway;

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
        List<String> tokens = new ArrayList<>(CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            tokens.add(Tokens.forUser("storm" + i + "-" + suffix));
        }
        long start = System.nanoTime();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                String room = "storm-" + suffix + "-" + (i % ROOMS);
                WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort())
                        .setURI("/chat").addHeader("Authorization", "Bearer " + tokens.get(i));
                // Handlers first, then the connect: a socket whose handlers were set in the connect's callback could
                // already be reading (the callback runs late if this thread registers it after the connect completed).
                ClientWebSocket socket = client.webSocket();
                socket.textMessageHandler(text -> {
                    JsonObject frame = new JsonObject(text);
                    switch (frame.getString("type")) {
                        case "welcome" -> socket.writeTextMessage(new JsonObject().put("type", "join").put("room", room).encode());
                        case "joined" -> {
                            joined.incrementAndGet();
                            done.countDown();
                        }
                        case "error" -> {
                            errors.computeIfAbsent(frame.getString("code"), c -> new AtomicInteger()).incrementAndGet();
                            done.countDown();
                        }
                        default -> {
                        }
                    }
                });
                socket.connect(options).onSuccess(sockets::add).onFailure(e -> {
                    errors.computeIfAbsent("connect: " + e.getMessage(), c -> new AtomicInteger()).incrementAndGet();
                    done.countDown();
                });
            }
            assertTrue(done.await(180, TimeUnit.SECONDS), "every client got an answer to its join; missing " + done.getCount());
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
