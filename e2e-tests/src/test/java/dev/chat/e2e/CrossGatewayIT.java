package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two gateways and the history service as real processes on the shared Redis and PostgreSQL: clients
 * on different gateways see exactly the same room, and history stores what they said. Gateway A runs four event
 * loops, gateway B as if limited to one CPU, with one.
 */
@ExtendWith(SharedSystem.Provider.class)
class CrossGatewayIT {

    static final RedisCli REDIS = RedisCli.shared();
    /** A Vert.x event loop's thread name as Linux shows it: its first 15 characters (JVM) or its last 15 (native). */
    static final Pattern EVENT_LOOP = Pattern.compile("vert\\.x-eventloo|.*loop-thread-\\d+");
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static ServiceProcess history;

    String room;

    @BeforeAll
    static void useTheSharedSystem(SharedSystem system) {
        // A with more loops than a small machine's cores, so rooms and their members still meet on different loops; B as
        // in a pod limited to one CPU: everything below also holds for a gateway with one event loop.
        history = system.history;
        gatewayA = system.gatewayA;
        gatewayB = system.gatewayB;
    }

    @BeforeEach
    void newRoom() {
        room = "general-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aGatewayLimitedToOneCpuRunsOneEventLoopUnlessConfiguredOtherwise() {
        // Quarkus alone would run two on one CPU (it never runs fewer): see EventLoopsPerCore.
        assertEquals(1, gatewayB.threadsNamed(EVENT_LOOP));
        assertEquals(4, gatewayA.threadsNamed(EVENT_LOOP));
    }

    @Test
    void aliceReachesAllSixUsersOnBothGatewaysExactlyOnceAndHistoryKeepsIt() throws Exception {
        List<WsClient> everyone = new ArrayList<>();
        try {
            for (String user : List.of("alice", "bob", "charlie")) {
                everyone.add(WsClient.connect(user, gatewayA.url()));
            }
            for (String user : List.of("david", "eve", "frank")) {
                everyone.add(WsClient.connect(user, gatewayB.url()));
            }
            for (WsClient client : everyone) {
                client.join(room);
            }
            WsClient alice = everyone.get(0);
            alice.send(WsClient.frame("send").put("room", room).put("text", "hello everyone").put("cid", "seed-1"));
            ObjectNode ack = alice.next("ack");
            assertEquals("seed-1", ack.path("cid").asText());
            long seq = ack.path("seq").asLong();
            assertEquals(1, seq);

            for (WsClient client : everyone) {
                ObjectNode message = client.messages(room, 1).get(0);
                assertEquals(seq, message.path("seq").asLong(), client.user);
                assertEquals("alice", message.path("from").asText());
                assertEquals("hello everyone", message.path("text").asText());
            }
            for (WsClient client : everyone) {
                ObjectNode extra = client.poll(300);
                if (extra != null) {
                    assertEquals("ack", extra.path("type").asText(), client.user + " got a second frame: " + extra);
                }
            }

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> response = history.get("/rooms/" + room + "/messages?after=0", "bob");
                assertEquals(200, response.statusCode(), response.body());
                JsonNode messages = WsClient.JSON.readTree(response.body()).path("messages");
                assertEquals(1, messages.size());
                assertEquals(seq, messages.get(0).path("seq").asLong());
                assertEquals("alice", messages.get(0).path("from").asText());
                assertEquals("hello everyone", messages.get(0).path("text").asText());
            });
        } finally {
            everyone.forEach(WsClient::close);
        }
    }

    @Test
    void concurrentSendersOnDifferentGatewaysProduceOneContiguousOrderForEveryone() {
        List<WsClient> receivers = new ArrayList<>();
        try {
            WsClient onA = WsClient.connect("sender-a", gatewayA.url());
            WsClient onB = WsClient.connect("sender-b", gatewayB.url());
            receivers.add(onA);
            receivers.add(onB);
            receivers.add(WsClient.connect("reader-a", gatewayA.url()));
            receivers.add(WsClient.connect("reader-b", gatewayB.url()));
            for (WsClient client : receivers) {
                client.join(room);
            }
            int perSender = 50;
            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> burst(onA, perSender));
            CompletableFuture<Void> b = CompletableFuture.runAsync(() -> burst(onB, perSender));
            CompletableFuture.allOf(a, b).join();

            List<String> reference = null;
            for (WsClient client : receivers) {
                List<String> order = client.messagesFromTheStart(room, 2 * perSender);
                if (reference == null) {
                    reference = order;
                } else {
                    assertEquals(reference, order, client.user + " sees another order");
                }
                ObjectNode extra = client.poll(200);
                while (extra != null) {
                    assertEquals("ack", extra.path("type").asText(), "no duplicate messages");
                    extra = client.poll(100);
                }
            }
        } finally {
            receivers.forEach(WsClient::close);
        }
    }

    private void burst(WsClient sender, int count) {
        for (int i = 1; i <= count; i++) {
            sender.send(WsClient.frame("send").put("room", room).put("text", "m" + i).put("cid", sender.user + "-" + i));
        }
    }

    @Test
    void aGatewayDropsItsSubscriptionWhenItsLastLocalMemberLeaves() {
        String channel = "chat:room:" + room;
        try (WsClient alice = WsClient.connect("alice", gatewayA.url());
                WsClient bob = WsClient.connect("bob", gatewayA.url());
                WsClient david = WsClient.connect("david", gatewayB.url())) {
            alice.join(room);
            bob.join(room);
            david.join(room);
            assertEquals(2, REDIS.subscribers(channel), "one subscription per gateway, not per member: " + REDIS.run("CLIENT", "LIST"));

            alice.send(WsClient.frame("leave").put("room", room));
            alice.next("left");
            assertEquals(2, REDIS.subscribers(channel), "bob is still a member on gateway A");
            bob.close();

            // Only gateway B (david) still holds the channel: gateway A unsubscribed.
            await().atMost(Duration.ofSeconds(10)).until(() -> REDIS.subscribers(channel) == 1);

            // Gateway B still delivers to david.
            david.send(WsClient.frame("send").put("room", room).put("text", "still here").put("cid", "d1"));
            assertEquals("still here", david.messages(room, 1).get(0).path("text").asText());
            assertNull(alice.poll(300), "alice left and gets nothing");
        }
    }
}
