package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Direct messages, presence, typing and unread counts across two gateways and the history service. */
@ExtendWith(SharedSystem.Provider.class)
class ChatFeaturesIT {

    static final RedisCli REDIS = RedisCli.shared();
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static ServiceProcess history;

    String id;

    @BeforeAll
    static void useTheSharedSystem(SharedSystem system) {
        history = system.history;
        gatewayA = system.gatewayA;
        gatewayB = system.gatewayB;
    }

    @BeforeEach
    void newNames() {
        id = UUID.randomUUID().toString().substring(0, 6);
    }

    String user(String name) {
        return name + "-" + id;
    }

    @Test
    void aDirectMessageReachesBothOfBobsGatewaysAndAlicesOtherConnectionButNotCarol() {
        String alice = user("alice");
        String bob = user("bob");
        String carol = user("carol");
        String room = "dm:" + alice + ":" + bob;
        try (WsClient aliceA = WsClient.connect(alice, gatewayA.url());
                WsClient aliceB = WsClient.connect(alice, gatewayB.url());
                WsClient bobA = WsClient.connect(bob, gatewayA.url());
                WsClient bobB = WsClient.connect(bob, gatewayB.url());
                WsClient carolB = WsClient.connect(carol, gatewayB.url())) {
            aliceA.send(WsClient.frame("send").put("to", bob).put("text", "just for you").put("cid", "dm-1"));
            ObjectNode ack = aliceA.next("ack");
            assertEquals(room, ack.path("room").asText());
            for (WsClient client : List.of(aliceA, aliceB, bobA, bobB)) {
                ObjectNode message = client.messages(room, 1).get(0);
                assertEquals("just for you", message.path("text").asText());
                assertEquals(ack.path("seq").asLong(), message.path("seq").asLong());
            }
            for (WsClient client : List.of(aliceB, bobA, bobB)) {
                assertNull(client.poll(300), client.user + " got it twice");
            }
            assertNull(carolB.poll(300), "carol receives nothing");

            carolB.send(WsClient.frame("join").put("room", room).put("cid", "peek"));
            assertEquals("forbidden", carolB.next("error").path("code").asText());
            assertEquals(403, history.get("/rooms/" + room + "/messages", carol).statusCode());
            await().atMost(Duration.ofSeconds(15)).until(() -> history.get("/rooms/" + room + "/messages", bob).statusCode() == 200);
        }
    }

    @Test
    void anOfflineUserFindsUnreadDirectMessagesAndReadingOnOneDeviceClearsThemOnTheOther() throws Exception {
        String alice = user("alice");
        String bob = user("bob");
        String room = "dm:" + alice + ":" + bob;
        try (WsClient aliceA = WsClient.connect(alice, gatewayA.url())) {
            for (int i = 1; i <= 3; i++) {
                aliceA.send(WsClient.frame("send").put("to", bob).put("text", "while you were out " + i).put("cid", "o" + i));
                aliceA.next("ack");
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(3, unread(bob, room)));

        try (WsClient phone = WsClient.connect(bob, gatewayB.url()); WsClient laptop = WsClient.connect(bob, gatewayA.url())) {
            HttpResponse<String> missed = history.get("/rooms/" + room + "/messages?after=0", bob);
            JsonNode messages = WsClient.JSON.readTree(missed.body()).path("messages");
            assertEquals(3, messages.size());
            assertEquals("while you were out 1", messages.get(0).path("text").asText());

            phone.send(WsClient.frame("read").put("room", room).put("seq", messages.get(2).path("seq").asLong()));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertEquals(0, unread(bob, room)));
            laptop.send(WsClient.frame("read").put("room", room).put("seq", 1));
            laptop.send(WsClient.frame("ping").put("cid", "sync"));
            laptop.next("pong");
            assertEquals(0, unread(bob, room), "read positions merge to the highest");
        }
    }

    /** Whether chat:events holds a user.offline for {@code user} (redis-cli prints each field and value on a line). */
    static boolean offlineEventFor(String user) {
        List<String> lines = REDIS.run("XREVRANGE", "chat:events", "+", "-", "COUNT", "1000");
        for (int i = 0; i + 2 < lines.size(); i++) {
            if ("user.offline".equals(lines.get(i).trim()) && "user".equals(lines.get(i + 1).trim()) && user.equals(lines.get(i + 2).trim())) {
                return true;
            }
        }
        return false;
    }

    long unread(String user, String room) throws Exception {
        HttpResponse<String> response = history.get("/users/me/rooms", user);
        assertEquals(200, response.statusCode(), response.body());
        for (JsonNode entry : WsClient.JSON.readTree(response.body()).path("rooms")) {
            if (room.equals(entry.path("room").asText())) {
                return entry.path("unread").asLong();
            }
        }
        return -1;
    }

    @Test
    void presenceIsPerUserAcrossGatewaysAndACrashedGatewaysUsersLeaveWithinTheBound() {
        String room = "lobby-" + id;
        String alice = user("alice");
        String bob = user("bob");
        String carol = user("carol");
        ServiceProcess gatewayC = ServiceProcess.gateway("features-c-" + id, REDIS.url(), SharedSystem.FAST_PRESENCE).start();
        try (WsClient aliceA = WsClient.connect(alice, gatewayA.url())) {
            aliceA.join(room);
            WsClient bobB = WsClient.connect(bob, gatewayB.url());
            bobB.join(room);
            assertEquals(bob, aliceA.next(f -> "presence.join".equals(f.path("type").asText()) && bob.equals(f.path("user").asText()))
                    .path("user").asText());

            WsClient bobA = WsClient.connect(bob, gatewayA.url());
            bobA.join(room);
            WsClient carolC = WsClient.connect(carol, gatewayC.url());
            carolC.join(room);
            assertEquals(carol, aliceA.next(f -> "presence.join".equals(f.path("type").asText()) && carol.equals(f.path("user").asText()))
                    .path("user").asText(), "bob's second connection caused no second join; carol's did");

            // The answer is what the room's members have been told: a hold over the room (joins trickling in) may announce
            // alice's own join after carol's, so the question is asked again until the announcements have caught up.
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                aliceA.send(WsClient.frame("presence").put("room", room).put("cid", "who"));
                ObjectNode presence = aliceA.next("presence");
                assertEquals(List.of(alice, bob, carol), WsClient.JSON.convertValue(presence.path("users"), List.class));
            });

            long killedAt = System.currentTimeMillis();
            gatewayC.kill();
            ObjectNode left = aliceA.next(f -> "presence.leave".equals(f.path("type").asText()));
            assertEquals(carol, left.path("user").asText());
            long took = System.currentTimeMillis() - killedAt;
            assertTrue(took < 60_000, "carol left " + took + " ms after her gateway died");
            // Her gateway closed none of her connections: a live gateway's sweep records when she was last seen (her
            // entry's last refresh, at most a TTL before the crash) and appends user.offline, as her close would have.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> offlineEventFor(carol));
            long lastSeen = Long.parseLong(REDIS.run("GET", "chat:lastseen:{" + carol + "}").get(0).trim());
            assertTrue(lastSeen <= killedAt && lastSeen > killedAt - 5_000, "carol last seen at " + lastSeen + ", killed at " + killedAt);

            bobB.close();
            aliceA.send(WsClient.frame("ping").put("cid", "sync"));
            ObjectNode next = aliceA.next(f -> "pong".equals(f.path("type").asText()) || "presence.leave".equals(f.path("type").asText()));
            assertEquals("pong", next.path("type").asText(), "bob is still here on gateway A: " + next);
            bobA.close();
            assertEquals(bob, aliceA.next(f -> "presence.leave".equals(f.path("type").asText())).path("user").asText());
        } finally {
            gatewayC.stop();
        }
    }

    @Test
    void aJoinStormOverTwoGatewaysCostsAMemberAsFewFullListsAsOnOne() {
        String room = "storm-" + id;
        List<WsClient> joiners = new java.util.ArrayList<>();
        java.util.Set<String> everyone = new java.util.TreeSet<>();
        java.util.Set<String> known = new java.util.TreeSet<>();
        int[] lists = {0};
        try (WsClient watcher = WsClient.connect(user("watcher"), gatewayA.url())) {
            watcher.join(room);
            everyone.add(user("watcher"));
            java.util.function.LongConsumer takeUntil = deadline -> {
                long left;
                while ((left = deadline - System.currentTimeMillis()) > 0) {
                    ObjectNode frame = watcher.pollAny(left);
                    if (frame == null) {
                        continue;
                    }
                    switch (frame.path("type").asText()) {
                        case "presence.join" -> known.add(frame.path("user").asText());
                        case "presence.leave" -> known.remove(frame.path("user").asText());
                        case "presence" -> {
                            known.clear();
                            frame.path("users").forEach(u -> known.add(u.asText()));
                            lists[0]++;
                        }
                        default -> {
                        }
                    }
                }
            };
            // 12 s of ten joins every half second, half on each gateway: every announcement is a full list.
            long end = System.currentTimeMillis() + 12_000;
            for (int tick = 0; System.currentTimeMillis() < end; tick++) {
                long next = System.currentTimeMillis() + 500;
                for (int i = 0; i < 10; i++) {
                    String name = user("storm" + tick + "x" + i);
                    WsClient joiner = WsClient.connect(name, (i % 2 == 0 ? gatewayA : gatewayB).url());
                    joiner.send(WsClient.frame("join").put("room", room).put("presence", "none"));
                    joiners.add(joiner);
                    everyone.add(name);
                }
                takeUntil.accept(next);
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                takeUntil.accept(System.currentTimeMillis() + 50);
                assertEquals(everyone, known, "the watcher ends up knowing everyone who joined");
            });
            // One hold for the room whichever gateway the joins came through: 4-6 lists, as with one gateway; a hold per
            // gateway would announce each gateway's share apart, about twice as many.
            assertTrue(lists[0] <= 6, joiners.size() + " joins over two gateways in 12 s cost the watcher " + lists[0]
                    + " full lists; holds of 1 s doubling to 4 s allow at most 6");
        } finally {
            joiners.forEach(WsClient::close);
        }
    }

    @Test
    void typingReachesTheOthersOnOtherGatewaysAndIsNeverStored() throws Exception {
        String room = "typing-" + id;
        try (WsClient alice = WsClient.connect(user("alice"), gatewayA.url()); WsClient bob = WsClient.connect(user("bob"), gatewayB.url())) {
            alice.join(room);
            bob.join(room);
            alice.send(WsClient.frame("typing").put("room", room));
            ObjectNode typing = bob.next("typing");
            assertEquals(alice.user, typing.path("user").asText());
            alice.send(WsClient.frame("send").put("room", room).put("text", "done typing").put("cid", "t1"));
            alice.next("ack");
            await().atMost(Duration.ofSeconds(15)).until(() -> history.get("/rooms/" + room + "/messages", bob.user).statusCode() == 200);
            JsonNode stored = WsClient.JSON.readTree(history.get("/rooms/" + room + "/messages", bob.user).body()).path("messages");
            assertEquals(1, stored.size(), "only the message, not the typing signal");
            ObjectNode own = alice.poll(300);
            assertTrue(own == null || !"typing".equals(own.path("type").asText()), "typing is not echoed to its sender");
        }
    }
}
