package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guarantee 2, the history side: the history service (SIGTERM) and its PostgreSQL (fast shutdown)
 * go away while messages flow and come back; sends are acknowledged all along (history is off the
 * send path) and in the end every acknowledged message is stored exactly once and replayed in order.
 */
class HistoryOutageIT {

    static OwnCluster cluster;
    static OwnRedisServer redis;
    static OwnPostgres postgres;
    static ServiceProcess history;
    static ServiceProcess gateway;

    @BeforeAll
    static void startServices() {
        cluster = OwnCluster.start("history-outage", 1, Map.of(), Map.of());
        redis = cluster.redis;
        postgres = cluster.postgres;
        history = cluster.history;
        gateway = cluster.gateway(0);
    }

    @AfterAll
    static void stopServices() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A test that failed half-way must not leave the next one without its database or history. */
    @BeforeEach
    void everythingRuns() {
        if (!postgres.isRunning()) {
            postgres.startServer();
        }
        if (!history.isAlive()) {
            history.start();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void historyStoppedAndRestartedMidStreamStoresEveryMessageOnce() {
        String room = "history-down-" + UUID.randomUUID().toString().substring(0, 8);
        try (RoomFollower writer = new RoomFollower("writer", room, history)) {
            writer.connectWithin(gateway::url, 30_000);
            send(writer, "up", 40);

            // SIGTERM: messages keep coming while history shuts down, while it is gone and while it starts again.
            history.terminate();
            send(writer, "stopping", 40);
            assertTrue(history.awaitExit(Duration.ofSeconds(30)), "history exits on SIGTERM");
            assertEquals(-1, history.readyStatus());
            send(writer, "down", 40);
            CompletableFuture<ServiceProcess> restart = CompletableFuture.supplyAsync(history::start);
            send(writer, "starting", 40);
            restart.join();
            send(writer, "restarted", 40);

            assertStoredOnceInOrder(room, writer.acks, 200);
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void postgresStoppedAndRestartedMidStreamLosesNothing() {
        String room = "postgres-down-" + UUID.randomUUID().toString().substring(0, 8);
        try (RoomFollower writer = new RoomFollower("writer", room, history)) {
            writer.connectWithin(gateway::url, 30_000);
            send(writer, "up", 40);
            await().atMost(Duration.ofSeconds(30)).until(() -> HistoryApi.all(history, room, "reader").size() == 40);

            postgres.stop();
            // Acknowledged while the database is down: history is not on the send path.
            send(writer, "down", 40);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                HttpResponse<String> ready = history.management("/q/health/ready");
                assertEquals(503, ready.statusCode(), ready.body());
                assertEquals("DOWN", HistoryApi.json(ready.body()).path("status").asText());
            });
            HttpResponse<String> replay = history.get("/rooms/" + room + "/messages?after=0", "reader");
            assertEquals(503, replay.statusCode(), replay.body());
            assertTrue(replay.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), replay.headers().map().toString());
            assertEquals("unavailable", HistoryApi.json(replay.body()).path("code").asText(), replay.body());
            send(writer, "still-down", 20);

            postgres.startServer();
            send(writer, "back", 40);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> history.readyStatus() == 200);

            assertStoredOnceInOrder(room, writer.acks, 140);
        }
    }

    /** Sends {@code count} messages with fresh cids and waits until each one is acknowledged. */
    private static void send(RoomFollower writer, String phase, int count) {
        List<String> cids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            cids.add(phase + "-" + i);
        }
        writer.sending(cids, 4, 5);
        assertTrue(writer.pumpUntil(writer::doneSending, gateway::url, 60_000), "acks for " + phase);
        assertEquals(List.of(), writer.errors);
    }

    /** PostgreSQL and the replay API hold exactly the acknowledged messages, seq 1..n, each once, with its text. */
    private static void assertStoredOnceInOrder(String room, Map<String, Long> acks, int n) {
        assertEquals(n, acks.size());
        List<String> expected = new ArrayList<>();
        acks.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> expected.add(e.getValue() + "\t" + e.getKey()));
        assertEquals(RoomFollower.oneTo(n), acks.values().stream().sorted().toList(), "acknowledged seqs");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> Integer.parseInt(postgres.query("select count(*) from messages where room = '" + room + "'").get(0)) >= n);
        assertEquals(expected, postgres.query("select seq, text from messages where room = '" + room + "' order by seq"),
                "PostgreSQL holds every acknowledged message once, under its seq");

        // The rows land before the room's stored-through position advances (the replay serves only up to it).
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            List<String> got = new ArrayList<>();
            for (JsonNode message : HistoryApi.after(history, room, 0, 50, "reader")) {
                got.add(message.path("seq").asLong() + "\t" + message.path("text").asText());
            }
            assertEquals(expected, got, "the replay API returns them in order");
        });
    }
}
