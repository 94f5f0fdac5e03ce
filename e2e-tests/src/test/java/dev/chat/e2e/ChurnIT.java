package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guarantees 1, 3 and 4 under churn: twenty clients keep dropping (with a close handshake or
 * abruptly) and coming back on either of two gateways with {@code join} + {@code since} + {@code epoch},
 * while four of them send 1,000 messages to one room and resend unacknowledged ones with the same
 * cid, and Redis cuts every Pub/Sub connection a few times. Every client ends with every message
 * exactly once, in seq order, and history holds the same.
 */
class ChurnIT {

    private static final int CLIENTS = 20;
    private static final int SENDERS = 4;
    private static final int MESSAGES = 1000;

    static OwnCluster cluster;
    static OwnRedisServer redis;
    static OwnPostgres postgres;
    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;

    @BeforeAll
    static void startServices() {
        cluster = OwnCluster.start("churn", 2, Map.of(), Map.of());
        redis = cluster.redis;
        postgres = cluster.postgres;
        history = cluster.history;
        gatewayA = cluster.gateway(0);
        gatewayB = cluster.gateway(1);
    }

    @AfterAll
    static void stopServices() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Lets traffic flow for a moment (nothing waits on it: the assertions do not depend on timing). */
    private static void pauseMidStream(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyChurningClientGetsEveryMessageExactlyOnceInSeqOrder() throws Exception {
        String room = "churn-" + UUID.randomUUID().toString().substring(0, 8);
        long seed = new Random().nextLong();
        System.out.println("ChurnIT seed " + seed + ", room " + room);
        List<String> gateways = List.of(gatewayA.url(), gatewayB.url());

        List<RoomFollower> followers = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            RoomFollower follower = new RoomFollower("churner-" + i, room, history);
            if (i < SENDERS) {
                List<String> cids = new ArrayList<>();
                for (int k = 1; k <= MESSAGES / SENDERS; k++) {
                    cids.add("s" + i + "-" + k);
                }
                // About 100 messages a second in all, so the traffic lasts long enough for plenty of churn.
                follower.sending(cids, 4, 40);
            }
            followers.add(follower);
        }

        AtomicInteger sendersLeft = new AtomicInteger(SENDERS);
        AtomicLong highestAck = new AtomicLong();
        AtomicInteger abrupt = new AtomicInteger();
        int pubsubKills = 0;
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> runs = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                RoomFollower follower = followers.get(i);
                Random random = new Random(seed + i);
                boolean sender = i < SENDERS;
                runs.add(pool.submit(() -> {
                    boolean sent = !sender;
                    long deadline = System.currentTimeMillis() + 150_000;
                    while (sendersLeft.get() > 0 || follower.last() < highestAck.get()) {
                        assertTrue(System.currentTimeMillis() < deadline, follower.user + " still not done");
                        if (!follower.isConnected()) {
                            follower.connectWithin(() -> gateways.get(random.nextInt(gateways.size())), 30_000);
                        }
                        boolean alive = follower.pump(100 + random.nextInt(700));
                        if (!sent && follower.doneSending()) {
                            sent = true;
                            follower.acks.values().forEach(seq -> highestAck.accumulateAndGet(seq, Math::max));
                            sendersLeft.decrementAndGet();
                        }
                        if (alive && (sendersLeft.get() > 0 || follower.last() < highestAck.get())) {
                            boolean hard = random.nextBoolean();
                            if (hard) {
                                abrupt.incrementAndGet();
                            }
                            follower.drop(hard);
                        }
                    }
                    follower.close();
                    return null;
                }));
            }
            // Meanwhile Redis drops every Pub/Sub connection now and then (both gateways' and history's):
            // what they miss comes from the recent log.
            int kills = 0;
            while (sendersLeft.get() > 0 && kills < 5 && runs.stream().noneMatch(Future::isDone)) {
                pauseMidStream(1500);
                redis.cli.run("CLIENT", "KILL", "TYPE", "pubsub");
                kills++;
            }
            pubsubKills = kills;
            for (Future<?> run : runs) {
                run.get(200, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            followers.forEach(RoomFollower::close);
        }

        // Each cid was accepted once: one seq per cid, one cid per seq, seqs 1..N.
        Map<Long, String> cidBySeq = new HashMap<>();
        for (RoomFollower sender : followers.subList(0, SENDERS)) {
            assertEquals(List.of(), sender.ackConflicts, sender.user + ": a resent cid got another seq");
            assertEquals(MESSAGES / SENDERS, sender.acks.size(), sender.user + " acks");
            sender.acks.forEach((cid, seq) -> {
                String other = cidBySeq.put(seq, cid);
                assertTrue(other == null, "seq " + seq + " acknowledged for " + other + " and " + cid);
            });
        }
        assertEquals(RoomFollower.oneTo(MESSAGES), new ArrayList<>(new TreeSet<>(cidBySeq.keySet())), "acked seqs");

        int connects = 0;
        int notRecovered = 0;
        int fromHistory = 0;
        int resends = 0;
        for (RoomFollower follower : followers) {
            assertEquals(List.of(), follower.errors, follower.user + " got error frames");
            follower.assertGot(RoomFollower.oneTo(MESSAGES));
            for (long seq = 1; seq <= MESSAGES; seq++) {
                assertEquals(cidBySeq.get(seq), follower.texts.get(seq), follower.user + " got another message as seq " + seq);
            }
            connects += follower.connects;
            notRecovered += follower.notRecovered;
            fromHistory += follower.fromHistory;
            resends += follower.resends;
        }
        System.out.printf("ChurnIT: %d joins (%d abrupt drops), %d recovered:false, %d messages loaded from history, %d resends, %d Pub/Sub kills%n",
                connects, abrupt.get(), notRecovered, fromHistory, resends, pubsubKills);
        assertTrue(connects >= CLIENTS * 5, "the clients churned: " + connects + " joins");
        // Nothing left the recent log and the epoch never changed: every gap was replayable in-band.
        assertEquals(0, notRecovered, "recovered:false without a reason");

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> HistoryApi.all(history, room, "auditor").size() >= MESSAGES);
        List<JsonNode> stored = HistoryApi.all(history, room, "auditor");
        assertEquals(MESSAGES, stored.size(), "history holds each message once");
        for (int i = 0; i < MESSAGES; i++) {
            JsonNode message = stored.get(i);
            assertEquals(i + 1, message.path("seq").asLong(), "history in seq order without gaps");
            assertEquals(cidBySeq.get(i + 1L), message.path("text").asText(), "history's message " + (i + 1));
        }
        assertEquals(List.of(Integer.toString(MESSAGES)), postgres.query("select count(*) from messages where room = '" + room + "'"));
    }
}
