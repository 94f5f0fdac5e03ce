package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guarantees 2 and 6 against a Redis without persistence (the test's own) that is killed mid-stream
 * and comes back empty: gateways refuse sends ({@code unavailable}, never a false ack) and report not
 * ready until Redis is back; history re-seeds the room counters from PostgreSQL, so seqs continue
 * above what is stored and no stored message is overwritten; the epoch changes, so a client holding
 * a position from before is told {@code recovered: false}; writers catch up by resending with the same cid.
 */
class RedisRestartIT {

    static OwnCluster cluster;
    static OwnRedisServer redis;
    static OwnPostgres postgres;
    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;

    @BeforeAll
    static void startServices() {
        // Quicker reconnects and re-seed checks than production, so the outage ends soon after Redis is back.
        cluster = OwnCluster.start("redis-restart", 2, Map.of("CHAT_RESEED_INTERVAL", "1S", "CHAT_SUBSCRIBER_MAX_BACKOFF", "500MS"), Map.of("CHAT_SUBSCRIBER_MAX_BACKOFF", "500MS"));
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

    /** A test that failed half-way must not leave the next one without Redis or history. */
    @BeforeEach
    void everythingRuns() {
        if (redis.cli.run("PING").stream().noneMatch("PONG"::equals)) {
            redis.kill();
            redis.start();
        }
        if (!history.isAlive()) {
            history.start();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> gatewayA.readyStatus() == 200 && gatewayB.readyStatus() == 200
                && history.readyStatus() == 200);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void afterRedisLostItsDataSeqsContinueAboveHistoryAndNoStoredMessageIsOverwritten() {
        String id = UUID.randomUUID().toString().substring(0, 6);
        List<String> rooms = List.of("lost-a-" + id, "lost-b-" + id, "lost-c-" + id);
        List<RoomFollower> writers = new ArrayList<>();
        List<RoomFollower> readers = new ArrayList<>();
        for (int i = 0; i < rooms.size(); i++) {
            ServiceProcess near = i % 2 == 0 ? gatewayA : gatewayB;
            ServiceProcess far = i % 2 == 0 ? gatewayB : gatewayA;
            writers.add(new RoomFollower("writer-" + i, rooms.get(i), history).via(near::url));
            readers.add(new RoomFollower("reader-" + i, rooms.get(i), history).via(far::url));
        }
        List<RoomFollower> everyone = new ArrayList<>(writers);
        everyone.addAll(readers);
        try {
            writers.forEach(w -> w.sending(cids(w.room, "before", 30), 2, 5));
            assertTrue(RoomFollower.pumpAll(everyone, () -> allSent(writers), 60_000, () -> { }), "acks before the loss");
            writers.forEach(w -> w.sending(cids(w.room, "around", 40), 2, 5));
            assertTrue(RoomFollower.pumpAll(everyone, () -> writers.stream().allMatch(w -> w.acks.size() >= 40), 60_000, () -> { }));

            // Mid-stream: Redis dies with everything it held and comes back empty.
            Map<String, Position> stale = new HashMap<>();
            readers.forEach(r -> stale.put(r.room, new Position(r.last(), r.epoch())));
            redis.kill();
            Map<String, Map<Long, String>> storedBefore = new HashMap<>();
            for (String room : rooms) {
                storedBefore.put(room, stored(room));
            }
            redis.start();

            assertTrue(RoomFollower.pumpAll(everyone, () -> allSent(writers), 90_000, () -> { }), "acks around the loss");
            Map<String, Long> highestBeforeNew = new HashMap<>();
            for (RoomFollower writer : writers) {
                Map<Long, String> stored = awaitStored(writer.room, writer.acks);
                highestBeforeNew.put(writer.room, stored.keySet().stream().mapToLong(Long::longValue).max().orElse(0));
            }
            writers.forEach(w -> w.sending(cids(w.room, "after", 30), 2, 5));
            assertTrue(RoomFollower.pumpAll(everyone, () -> allSent(writers), 60_000, () -> { }), "acks after the loss");
            assertTrue(RoomFollower.pumpAll(everyone, () -> caughtUp(readers, writers), 60_000, () -> { }), "readers catch up");

            for (RoomFollower writer : writers) {
                String room = writer.room;
                assertEquals(List.of(), writer.errors, writer.user);
                assertEquals(List.of(), writer.ackConflicts, writer.user);
                Map<Long, String> stored = awaitStored(room, writer.acks);
                // Nothing stored before the loss changed: no seq was handed out a second time.
                storedBefore.get(room).forEach((seq, text) -> assertEquals(text, stored.get(seq), room + " seq " + seq + " was overwritten"));
                // And every acknowledged message is stored under the seq its ack named.
                writer.acks.forEach((cid, seq) -> assertEquals(cid, stored.get(seq), room + " seq " + seq));
                // Messages accepted after the loss got seqs above everything history held of the room.
                long lowestNew = writer.acks.entrySet().stream().filter(e -> e.getKey().contains("-after-"))
                        .mapToLong(Map.Entry::getValue).min().orElseThrow();
                assertTrue(lowestNew > highestBeforeNew.get(room),
                        room + ": seq " + lowestNew + " after the loss is not above " + highestBeforeNew.get(room) + " in history");
                assertEquals(stored.size(), Set.copyOf(stored.values()).size(), room + ": a message is stored twice: " + stored);
                System.out.printf("RedisRestartIT %s: %d stored before the loss, %d stored in the end, first new seq %d, %d refused sends%n",
                        room, storedBefore.get(room).size(), stored.size(), lowestNew, writer.unavailable);
            }
            for (RoomFollower reader : readers) {
                assertSameAsHistory(reader);
            }

            // A client holding a position from before the loss is told to reload from history.
            for (String room : rooms) {
                Position before = stale.get(room);
                try (WsClient late = WsClient.connect("latecomer", gatewayB.url())) {
                    late.send(WsClient.frame("join").put("room", room).put("since", before.seq).put("epoch", before.epoch).put("cid", "j"));
                    ObjectNode joined = late.next("joined");
                    assertEquals(false, joined.path("recovered").asBoolean(true), room + ": " + joined);
                    assertNotEquals(before.epoch, joined.path("epoch").asText(), room + ": the epoch changed with the loss");
                }
            }
        } finally {
            everyone.forEach(RoomFollower::close);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void whileRedisIsDownSendsAreRefusedAndEveryAckIsKept() {
        String id = UUID.randomUUID().toString().substring(0, 6);
        List<String> rooms = List.of("outage-a-" + id, "outage-b-" + id);
        List<RoomFollower> writers = List.of(
                new RoomFollower("writer-a", rooms.get(0), history).via(gatewayA::url),
                new RoomFollower("writer-b", rooms.get(1), history).via(gatewayB::url));
        List<RoomFollower> readers = List.of(
                new RoomFollower("reader-a", rooms.get(0), history).via(gatewayB::url),
                new RoomFollower("reader-b", rooms.get(1), history).via(gatewayA::url));
        List<RoomFollower> everyone = new ArrayList<>(writers);
        everyone.addAll(readers);
        Map<String, List<Integer>> readiness = new LinkedHashMap<>();
        readiness.put("a", new ArrayList<>());
        readiness.put("b", new ArrayList<>());
        Runnable sampleReadiness = () -> {
            record(readiness.get("a"), gatewayA.readyStatus());
            record(readiness.get("b"), gatewayB.readyStatus());
        };
        try (WsClient probe = WsClient.connect("probe", gatewayA.url())) {
            probe.join(rooms.get(0));
            writers.forEach(w -> w.sending(cids(w.room, "m", 150), 2, 10));
            assertTrue(RoomFollower.pumpAll(everyone, () -> writers.stream().allMatch(w -> w.acks.size() >= 40), 60_000, sampleReadiness));

            Map<RoomFollower, Integer> refusedBefore = new HashMap<>();
            writers.forEach(w -> refusedBefore.put(w, w.unavailable));
            redis.kill();
            assertTrue(RoomFollower.pumpAll(everyone, () -> gatewayA.readyStatus() == 503 && gatewayB.readyStatus() == 503, 30_000,
                    sampleReadiness), "both gateways report not ready while Redis is down");
            probe.send(WsClient.frame("send").put("room", rooms.get(0)).put("text", "into the void").put("cid", "void-1"));
            ObjectNode refused = probe.next(f -> "void-1".equals(f.path("cid").asText()));
            assertEquals("error", refused.path("type").asText(), "never an ack while Redis is down: " + refused);
            assertEquals("unavailable", refused.path("code").asText());
            // A writer's frames are answered in order: once it has been refused, every ack of a message Redis took
            // before it died has arrived, and any ack from then on would be false.
            assertTrue(RoomFollower.pumpAll(everyone, () -> writers.stream().allMatch(w -> w.unavailable > refusedBefore.get(w)), 10_000,
                    sampleReadiness), "every writer refused while Redis is down");
            int acksDuringOutage = writers.stream().mapToInt(w -> w.acks.size()).sum();
            RoomFollower.pumpAll(everyone, () -> false, 2_000, sampleReadiness);
            assertEquals(acksDuringOutage, writers.stream().mapToInt(w -> w.acks.size()).sum(), "no ack while Redis is down");

            redis.start();
            assertTrue(RoomFollower.pumpAll(everyone, () -> allSent(writers), 90_000, sampleReadiness), "writers catch up by resending");
            assertTrue(RoomFollower.pumpAll(everyone, () -> gatewayA.readyStatus() == 200 && gatewayB.readyStatus() == 200, 30_000,
                    sampleReadiness));
            sampleReadiness.run();
            assertTrue(RoomFollower.pumpAll(everyone, () -> caughtUp(readers, writers), 60_000, () -> { }), "readers catch up");

            for (Map.Entry<String, List<Integer>> gateway : readiness.entrySet()) {
                assertEquals(List.of(200, 503, 200), gateway.getValue(), "readiness of gateway " + gateway.getKey());
            }
            for (RoomFollower writer : writers) {
                assertEquals(List.of(), writer.errors, writer.user);
                assertEquals(List.of(), writer.ackConflicts, writer.user);
                assertEquals(150, writer.acks.size());
                assertTrue(writer.resends > 0, writer.user + " resent refused messages");
                // No false ack: every acknowledged message is stored under the seq its ack named.
                Map<Long, String> stored = awaitStored(writer.room, writer.acks);
                writer.acks.forEach((cid, seq) -> assertEquals(cid, stored.get(seq), writer.room + " seq " + seq));
                assertEquals(stored.size(), Set.copyOf(stored.values()).size(), writer.room + ": a message is stored twice: " + stored);
            }
            for (RoomFollower reader : readers) {
                assertSameAsHistory(reader);
            }
        } finally {
            everyone.forEach(RoomFollower::close);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void whenRedisLosesMessagesHistoryHadNotStoredClientsAreToldInsteadOfLeftWithASilentGap() {
        String room = "unstored-" + UUID.randomUUID().toString().substring(0, 6);
        RoomFollower writer = new RoomFollower("writer", room, history).via(gatewayA::url);
        List<RoomFollower> readers = List.of(new RoomFollower("reader-a", room, history).via(gatewayA::url),
                new RoomFollower("reader-b", room, history).via(gatewayB::url));
        List<RoomFollower> everyone = new ArrayList<>(readers);
        everyone.add(writer);
        try {
            writer.sending(cids(room, "stored", 20), 2, 5);
            assertTrue(RoomFollower.pumpAll(everyone, writer::doneSending, 60_000, () -> { }));
            awaitStored(room, writer.acks);

            // History is down, so these ten live only in Redis (every client got them)...
            history.stop();
            writer.sending(cids(room, "unstored", 10), 2, 5);
            assertTrue(RoomFollower.pumpAll(everyone, () -> writer.doneSending() && readers.stream().allMatch(r -> r.last() == 30),
                    60_000, () -> { }));
            Position stale = new Position(readers.get(1).last(), readers.get(1).epoch());
            // ... and Redis loses them.
            redis.kill();
            redis.start();
            assertTrue(RoomFollower.pumpAll(everyone, () -> gatewayA.readyStatus() == 200 && gatewayB.readyStatus() == 200, 30_000,
                    () -> { }));
            history.start();

            writer.sending(cids(room, "after", 20), 2, 5);
            assertTrue(RoomFollower.pumpAll(everyone, writer::doneSending, 60_000, () -> { }), "acks after the loss");
            long highest = writer.acks.entrySet().stream().filter(e -> e.getKey().contains("-after-")).mapToLong(Map.Entry::getValue)
                    .max().orElseThrow();
            assertEquals(40, highest, "the room continues from what history holds (20), with a new epoch");
            Map<String, Long> keptAcks = new HashMap<>(writer.acks);
            keptAcks.keySet().removeIf(cid -> cid.contains("-unstored-"));
            Map<Long, String> stored = awaitStored(room, keptAcks);
            keptAcks.forEach((cid, seq) -> assertEquals(cid, stored.get(seq), room + " seq " + seq));
            assertEquals(RoomFollower.oneTo(40), List.copyOf(stored.keySet()));

            assertTrue(RoomFollower.pumpAll(everyone, () -> readers.stream().allMatch(r -> r.last() >= highest), 30_000, () -> { }),
                    "readers get the messages after the loss: " + readers.stream().map(r -> r.user + " at " + r.last() + ", got "
                            + r.seqs.subList(Math.max(0, r.seqs.size() - 12), r.seqs.size())).toList());
            for (RoomFollower reader : readers) {
                assertTrue(reader.epochChanges > 0, reader.user + " was told (recovered: false, new epoch) that Redis lost part of the room");
                assertSameAsHistory(reader);
            }

            try (WsClient late = WsClient.connect("latecomer", gatewayB.url())) {
                late.send(WsClient.frame("join").put("room", room).put("since", stale.seq).put("epoch", stale.epoch).put("cid", "j"));
                ObjectNode joined = late.next("joined");
                assertEquals(false, joined.path("recovered").asBoolean(true), joined.toString());
                assertEquals(40, joined.path("seq").asLong());
            }
        } finally {
            everyone.forEach(RoomFollower::close);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aSendAcceptedJustBeforeRedisLostItsDataIsAnsweredWithItsFirstSeqWhenResentAfterwards() {
        String room = "resent-" + UUID.randomUUID().toString().substring(0, 6);
        long seq;
        try (WsClient alice = WsClient.connect("alice", gatewayA.url())) {
            alice.join(room);
            seq = alice.answer(room, "before the loss", "c-1").path("seq").asLong();
        }
        awaitStored(room, Map.of("c-1", seq));

        // Redis loses its data, the send's idempotency record with it, and Alice, who never saw her ack, resends.
        redis.kill();
        redis.start();
        ObjectNode resent = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> joinedAndSent("alice", room, "before the loss", "c-1"), answer -> "ack".equals(answer.path("type").asText()));
        assertEquals(seq, resent.path("seq").asLong(), "the resend is answered with the first send's seq: " + resent);
        ObjectNode next = joinedAndSent("alice", room, "after the loss", "c-2");
        assertEquals(seq + 1, next.path("seq").asLong(), next.toString());
        assertEquals(Map.of(seq, "before the loss", seq + 1, "after the loss"), awaitStored(room, Map.of("c-1", seq, "c-2", seq + 1)),
                "stored once each");
    }

    /** {@link WsClient#joinedAndAnswered} on either gateway; null while that gateway is not ready. */
    private static ObjectNode joinedAndSent(String user, String room, String text, String cid) {
        ServiceProcess gateway = cid.hashCode() % 2 == 0 ? gatewayA : gatewayB;
        return gateway.readyStatus() == 200 ? WsClient.joinedAndAnswered(user, gateway.url(), room, text, cid) : null;
    }

    private record Position(long seq, String epoch) {
    }

    private static List<String> cids(String room, String phase, int count) {
        List<String> cids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            cids.add(room + "-" + phase + "-" + i);
        }
        return cids;
    }

    private static boolean allSent(List<RoomFollower> writers) {
        return writers.stream().allMatch(RoomFollower::doneSending);
    }

    /** Every reader got as far as the highest seq acknowledged in its room. */
    private static boolean caughtUp(List<RoomFollower> readers, List<RoomFollower> writers) {
        for (RoomFollower reader : readers) {
            long highest = writers.stream().filter(w -> w.room.equals(reader.room))
                    .flatMap(w -> w.acks.values().stream()).mapToLong(Long::longValue).max().orElse(0);
            if (reader.last() < highest) {
                return false;
            }
        }
        return true;
    }

    /** Notes a readiness status when it differs from the last one; -1 (no answer in time, a busy machine) is no status. */
    private static void record(List<Integer> statuses, int status) {
        if (status != -1 && (statuses.isEmpty() || statuses.get(statuses.size() - 1) != status)) {
            statuses.add(status);
        }
    }

    /** The client got exactly the messages history holds of its room: the same seqs, in order, with the same texts. */
    private static void assertSameAsHistory(RoomFollower client) {
        assertEquals(List.of(), client.errors, client.user);
        Map<Long, String> stored = stored(client.room);
        client.assertGot(List.copyOf(stored.keySet()));
        stored.forEach((seq, text) -> assertEquals(text, client.texts.get(seq), client.user + " seq " + seq));
    }

    /** The room's rows in PostgreSQL: text by seq. */
    private static Map<Long, String> stored(String room) {
        Map<Long, String> rows = new TreeMap<>();
        for (String row : postgres.query("select seq, text from messages where room = '" + room + "' order by seq")) {
            String[] columns = row.split("\t", 2);
            rows.put(Long.parseLong(columns[0]), columns[1]);
        }
        return rows;
    }

    /** Waits until every acknowledged message of the room is stored, then returns the room's rows. */
    private static Map<Long, String> awaitStored(String room, Map<String, Long> acks) {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> stored(room).keySet().containsAll(acks.values()));
        } catch (ConditionTimeoutException e) {
            Map<Long, String> stored = stored(room);
            List<String> missing = acks.entrySet().stream().filter(a -> !stored.containsKey(a.getValue())).map(Object::toString).toList();
            fail(room + ": acknowledged but never stored: " + missing);
        }
        return stored(room);
    }
}
