package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chat.common.redis.KeySlots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Both services on a Redis Cluster of their own (three masters with a replica each), switched by
 * configuration alone: the cross-gateway guarantees hold with rooms on every shard, a room's messages
 * travel only to the shard that owns it (sharded Pub/Sub), a room whose slot moves to another master
 * during traffic keeps delivering in order, and so does a room whose master dies and is replaced by its
 * replica (sends wait for the replica, so none that was acknowledged is lost or given a seq twice).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterIT {

    static OwnRedisCluster cluster;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static ServiceProcess history;

    String id;

    @BeforeAll
    static void startServices() {
        cluster = OwnRedisCluster.start("redis-cluster-it");
        // Every master has a replica: a send is acknowledged once the replica holds it, so a failover keeps it.
        Map<String, String> clusterMode = Map.of("QUARKUS_REDIS_CLIENT_TYPE", "cluster", "QUARKUS_REDIS_HOSTS", cluster.hosts(),
                "CHAT_REPLICATION_ACKS", "1");
        history = ServiceProcess.history("cluster-history", cluster.hosts(), RedisCli.sharedDatabase())
                .with("QUARKUS_REDIS_CLIENT_TYPE", "cluster");
        gatewayA = ServiceProcess.gateway("cluster-a", cluster.hosts(), clusterMode);
        gatewayB = ServiceProcess.gateway("cluster-b", cluster.hosts(), clusterMode);
        ServiceProcess.startAll(history, gatewayA, gatewayB);
        // A new cluster has no generation markers: history sets one per slot before rooms can start.
        history.awaitRoomsCanStart();
    }

    @AfterAll
    static void stopServices() {
        for (ServiceProcess service : new ServiceProcess[] {gatewayA, gatewayB, history}) {
            if (service != null) {
                service.stop();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void newId() {
        id = UUID.randomUUID().toString().substring(0, 6);
    }

    /** A room name whose keys live on the given master. */
    String roomOn(int master, String prefix) {
        for (int i = 0; ; i++) {
            String room = prefix + "-" + id + "-" + i;
            if (cluster.masterOfKey("chat:{" + room + "}:seq") == master) {
                return room;
            }
        }
    }

    @Test
    @Order(1)
    void roomsOnEveryShardKeepOneContiguousOrderAcrossGatewaysAndHistoryStoresAll() {
        for (int master : cluster.masterPorts()) {
            String room = roomOn(master, "shard");
            List<WsClient> clients = new ArrayList<>();
            try {
                WsClient onA = WsClient.connect("sender-a-" + id, gatewayA.url());
                WsClient onB = WsClient.connect("sender-b-" + id, gatewayB.url());
                clients.addAll(List.of(onA, onB, WsClient.connect("reader-a-" + id, gatewayA.url()),
                        WsClient.connect("reader-b-" + id, gatewayB.url())));
                for (WsClient client : clients) {
                    client.join(room);
                }
                String channel = "chat:room:{" + room + "}";
                assertEquals(2, shardSubscribers(master, channel), "one sharded subscription per gateway, on the room's master");
                for (int other : cluster.masterPorts()) {
                    if (other != master) {
                        assertEquals(0, shardSubscribers(other, channel), "no other shard carries the room");
                    }
                }
                int perSender = 30;
                CompletableFuture.allOf(CompletableFuture.runAsync(() -> burst(onA, room, perSender)),
                        CompletableFuture.runAsync(() -> burst(onB, room, perSender))).join();
                List<String> reference = null;
                for (WsClient client : clients) {
                    List<String> order = client.messagesFromTheStart(room, 2 * perSender);
                    if (reference == null) {
                        reference = order;
                    } else {
                        assertEquals(reference, order, client.user + " sees another order");
                    }
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                        LongStream.rangeClosed(1, 2 * perSender).boxed().toList(), HistoryApi.seqs(history, room, "reader-a-" + id)));
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    @Order(2)
    void aReconnectingClientRecoversWhatItMissedWithSinceAndAResendIsAcceptedOnce() {
        String room = roomOn(cluster.masterPorts().get(1), "recover");
        try (WsClient sender = WsClient.connect("sender-" + id, gatewayA.url())) {
            sender.join(room);
            String epoch;
            try (WsClient reader = WsClient.connect("reader-" + id, gatewayB.url())) {
                epoch = reader.join(room).path("epoch").asText();
                for (int i = 1; i <= 3; i++) {
                    send(sender, room, "before " + i, "b" + i);
                }
                assertEquals(3, reader.messages(room, 3).get(2).path("seq").asLong());
            }
            for (int i = 1; i <= 4; i++) {
                send(sender, room, "while away " + i, "w" + i);
            }
            ObjectNode first = send(sender, room, "while away 1", "w1");
            assertEquals(4, first.path("seq").asLong(), "the resend of w1 is acknowledged with its first seq");
            try (WsClient back = WsClient.connect("reader-" + id, gatewayA.url())) {
                back.send(WsClient.frame("join").put("room", room).put("since", 3).put("epoch", epoch).put("cid", "back"));
                ObjectNode joined = back.next("joined");
                assertTrue(joined.path("recovered").asBoolean(), "recovered from the room's log: " + joined);
                List<ObjectNode> missed = back.messages(room, 4);
                for (int i = 0; i < 4; i++) {
                    assertEquals(4 + i, missed.get(i).path("seq").asLong());
                    assertEquals("while away " + (i + 1), missed.get(i).path("text").asText());
                }
                assertNull(back.poll(300), "the resend was not delivered again");
            }
        }
    }

    @Test
    @Order(3)
    void directMessagesPresenceAndUnreadWorkAcrossGateways() throws Exception {
        String alice = "alice-" + id;
        String bob = "bob-" + id;
        String carol = "carol-" + id;
        String dm = "dm:" + alice + ":" + bob;
        try (WsClient aliceA = WsClient.connect(alice, gatewayA.url()); WsClient bobB = WsClient.connect(bob, gatewayB.url())) {
            aliceA.send(WsClient.frame("send").put("to", bob).put("text", "just for you").put("cid", "dm-1"));
            ObjectNode ack = aliceA.next("ack");
            assertEquals(dm, ack.path("room").asText());
            ObjectNode received = bobB.messages(dm, 1).get(0);
            assertEquals("just for you", received.path("text").asText());
            assertEquals(ack.path("seq").asLong(), received.path("seq").asLong());

            String lobby = "lobby-" + id;
            aliceA.join(lobby);
            bobB.join(lobby);
            assertEquals(bob, aliceA.next(f -> "presence.join".equals(f.path("type").asText()) && bob.equals(f.path("user").asText()))
                    .path("user").asText());
        }
        // Carol is offline: her direct messages count as unread and leave an offline event for push workers.
        String toCarol = "dm:" + alice + ":" + carol;
        try (WsClient aliceA = WsClient.connect(alice, gatewayA.url())) {
            for (int i = 1; i <= 2; i++) {
                send(aliceA, null, "while you were out " + i, "o" + i, carol);
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(2, unread(carol, toCarol)));
        RedisCli events = cluster.cli(cluster.masterOfKey("chat:events"));
        List<String> entries = events.run("XRANGE", "chat:events", "-", "+");
        assertTrue(entries.stream().filter(line -> line.equals(toCarol)).count() >= 2, "dm.offline events for carol: " + entries);
    }

    @Test
    @Order(4)
    void aBusyRoomWhoseSlotMovesToAnotherMasterKeepsDeliveringInOrder() {
        int to = cluster.masterPorts().get(2);
        String room = roomOn(cluster.masterPorts().get(0), "moving");
        int slot = KeySlots.slot("chat:{" + room + "}:seq");
        busyRoomGetsThrough(room, "mover-" + id, gatewayA, () -> cluster.migrateSlot(slot, to), () -> {
            assertEquals(to, cluster.masterOf(slot));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(2, shardSubscribers(to, "chat:room:{" + room + "}"),
                    "both gateways hold the room on its new master"));
        });
    }

    @Test
    @Order(5)
    void whenTheMasterOfABusyRoomDiesItsReplicaTakesOverAndNothingIsLostRepeatedOrReordered() {
        int victim = cluster.masterPorts().get(1);
        String room = roomOn(victim, "failover");
        int slot = KeySlots.slot("chat:{" + room + "}:seq");
        busyRoomGetsThrough(room, "survivor-" + id, gatewayB, () -> {
            cluster.killMaster(victim);
            cluster.awaitFailover();
            // The promoted replica has no replica of its own until the dead node comes back (as an orchestrator
            // restarts it): until then sends wait for one and are refused as unavailable, and the sender resends.
            cluster.restart(victim);
        }, () -> {
            int promoted = cluster.masterOf(slot);
            assertTrue(promoted != victim, "the replica took over the slot");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(2, shardSubscribers(promoted, "chat:room:{" + room + "}"),
                    "both gateways hold the room on the promoted replica"));
        });
    }

    /**
     * A sender sends m1, m2, ... one at a time (a refused send goes again with the same cid, so it is accepted
     * once) while {@code disruption} happens after the 10th and until 20 more got through; then every reader on
     * both gateways has received each message once, in order, under seq 1..n, and history stored all n; then,
     * with everyone still joined, {@code check} runs.
     */
    private void busyRoomGetsThrough(String room, String senderName, ServiceProcess senderGateway, Runnable disruption, Runnable check) {
        List<WsClient> readers = new ArrayList<>();
        try (WsClient sender = WsClient.connect(senderName, senderGateway.url())) {
            sender.join(room);
            readers.add(WsClient.connect("reader-a-" + id, gatewayA.url()));
            readers.add(WsClient.connect("reader-b-" + id, gatewayB.url()));
            for (WsClient reader : readers) {
                reader.join(room);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
                while (!stop.get() || sent.get() < 20) {
                    int n = sent.get() + 1;
                    sendUntilAccepted(sender, room, "m" + n, "m" + n);
                    sent.set(n);
                }
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> sent.get() >= 10);
            disruption.run();
            int after = sent.get();
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                if (traffic.isCompletedExceptionally()) {
                    traffic.join();
                }
                return sent.get() >= after + 20;
            });
            stop.set(true);
            traffic.join();
            int total = sent.get();
            for (WsClient reader : readers) {
                List<ObjectNode> messages = reader.messages(room, total);
                for (int i = 0; i < total; i++) {
                    assertEquals(i + 1, messages.get(i).path("seq").asLong(), reader.user + " sees a gap, a repeat or reordering");
                    assertEquals("m" + (i + 1), messages.get(i).path("text").asText(), reader.user + ": one seq, one message");
                }
                assertNull(reader.poll(500), reader.user + " got a message twice");
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertEquals(
                    LongStream.rangeClosed(1, total).boxed().toList(), HistoryApi.seqs(history, room, senderName)));
            check.run();
        } finally {
            readers.forEach(WsClient::close);
        }
    }

    private long shardSubscribers(int master, String channel) {
        List<String> reply = cluster.cli(master).run("PUBSUB", "SHARDNUMSUB", channel);
        return Long.parseLong(reply.get(reply.size() - 1).trim());
    }

    @Test
    @Order(6)
    void whenAShardLosesItsDataAResendOfAStoredSendIsAnsweredWithItsFirstSeqAndOtherShardsGoOn() {
        int master = cluster.masterPorts().get(0);
        String room = roomOn(master, "emptied");
        String elsewhere = roomOn(cluster.masterPorts().get(1), "untouched");
        String user = "sender-" + id;
        long seq;
        try (WsClient sender = WsClient.connect(user, gatewayA.url())) {
            sender.join(room);
            sender.join(elsewhere);
            send(sender, room, "before the loss", "e0");
            seq = send(sender, room, "before the loss", "e1").path("seq").asLong();
            send(sender, elsewhere, "on another shard", "u1");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> HistoryApi.seqs(history, room, user).contains(seq));

        // The shard comes back empty: its rooms' keys, idempotency records and slots' generation markers are gone.
        cluster.cli(master).run("FLUSHALL");
        ObjectNode resent = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> WsClient.joinedAndAnswered(user, gatewayB.url(), room, "before the loss", "e1"), answer -> "ack".equals(answer.path("type").asText()));
        assertEquals(seq, resent.path("seq").asLong(), "the resend is answered with the first send's seq: " + resent);
        try (WsClient sender = WsClient.connect(user, gatewayB.url())) {
            sender.join(elsewhere);
            assertEquals(2, send(sender, elsewhere, "the other shard kept its room", "u2").path("seq").asLong());
        }
    }

    private void burst(WsClient sender, String room, int count) {
        for (int i = 1; i <= count; i++) {
            sender.send(WsClient.frame("send").put("room", room).put("text", "m" + i).put("cid", sender.user + "-" + i));
        }
    }

    private static ObjectNode send(WsClient sender, String room, String text, String cid) {
        return send(sender, room, text, cid, null);
    }

    private static ObjectNode send(WsClient sender, String room, String text, String cid, String to) {
        ObjectNode frame = WsClient.frame("send").put("text", text).put("cid", cid);
        if (to != null) {
            frame.put("to", to);
        } else {
            frame.put("room", room);
        }
        sender.send(frame);
        ObjectNode answer = sender.next(f -> ("ack".equals(f.path("type").asText()) || "error".equals(f.path("type").asText()))
                && cid.equals(f.path("cid").asText()));
        assertEquals("ack", answer.path("type").asText(), answer.toString());
        return answer;
    }

    private static void sendUntilAccepted(WsClient sender, String room, String text, String cid) {
        for (int attempt = 0; attempt < 300; attempt++) {
            sender.send(WsClient.frame("send").put("room", room).put("text", text).put("cid", cid));
            ObjectNode answer = sender.next(f -> ("ack".equals(f.path("type").asText()) || "error".equals(f.path("type").asText()))
                    && cid.equals(f.path("cid").asText()));
            if ("ack".equals(answer.path("type").asText())) {
                return;
            }
            assertEquals("unavailable", answer.path("code").asText(), answer.toString());
            await().pollDelay(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> true);
        }
        throw new AssertionError("send " + cid + " never accepted");
    }

    private static long unread(String user, String room) throws Exception {
        var response = history.get("/users/me/rooms", user);
        assertEquals(200, response.statusCode(), response.body());
        for (JsonNode entry : WsClient.JSON.readTree(response.body()).path("rooms")) {
            if (room.equals(entry.path("room").asText())) {
                return entry.path("unread").asLong();
            }
        }
        return -1;
    }
}
