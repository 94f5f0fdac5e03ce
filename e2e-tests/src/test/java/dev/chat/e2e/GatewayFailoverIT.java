package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Guarantee 5: a gateway goes away mid-stream, gracefully (SIGTERM: {@code reconnect}, then close
 * code 1012) or by crashing (SIGKILL); its clients reconnect to the other gateway with {@code since},
 * its writer resends what was not acknowledged with the same cid, and every client ends with exactly
 * what history holds: every accepted message, once, in order.
 */
@ExtendWith(SharedSystem.Provider.class)
class GatewayFailoverIT {

    private static final int PER_WRITER = 150;

    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;

    /** Each test takes gateway A down; the next one (and the next class) gets it back. */
    @BeforeEach
    void gatewayARuns(SharedSystem system) {
        history = system.history;
        gatewayA = system.gatewayA;
        gatewayB = system.gatewayB;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void onSigtermClientsAreToldToReconnectAndRecoverEverythingOnTheOtherGateway() {
        Scenario scenario = new Scenario("sigterm");
        scenario.runUntilHalfway();
        scenario.aDown = true;
        // In flight when the drain begins: the gateway answers them before it closes (or the writer resends them on B).
        scenario.writers.get(0).burst(5);
        gatewayA.terminate();
        List<Integer> readiness = new ArrayList<>();
        scenario.runToTheEnd(() -> {
            int status = gatewayA.readyStatus();
            if (readiness.isEmpty() || readiness.get(readiness.size() - 1) != status) {
                readiness.add(status);
            }
        });
        assertTrue(gatewayA.awaitExit(Duration.ofSeconds(30)), "gateway A exits after draining");
        assertTrue(readiness.indexOf(503) >= 0 && (readiness.indexOf(-1) < 0 || readiness.indexOf(503) < readiness.indexOf(-1)),
                "gateway A reports not ready while it drains, before it is gone: " + readiness);

        for (RoomFollower client : scenario.onA) {
            assertTrue(client.sawReconnect, client.user + " got {\"type\":\"reconnect\"} (close codes " + client.closeCodes
                    + ", connects " + client.connects + ", resends " + client.resends + ")");
            assertEquals(1012, client.closeCodes.isEmpty() ? -2 : client.closeCodes.get(0), client.user + " close codes " + client.closeCodes);
            assertEquals(2, client.connects, client.user + " joined on A, then on B");
        }
        scenario.assertNothingMissing();
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void onSigkillClientsReconnectAndRecoverEverythingOnTheOtherGateway() {
        Scenario scenario = new Scenario("sigkill");
        scenario.runUntilHalfway();
        scenario.aDown = true;
        // In flight when the gateway dies: accepted or not, the writer resends them on B with the same cids.
        scenario.writers.get(0).burst(5);
        gatewayA.kill();
        scenario.runToTheEnd(() -> { });

        for (RoomFollower client : scenario.onA) {
            assertFalse(client.sawReconnect, client.user + ": a crashed gateway says nothing");
            assertEquals(2, client.connects, client.user + " joined on A, then on B");
            // The writer may notice the crash on a send rather than from a close.
            if (!client.closeCodes.isEmpty()) {
                assertTrue(client.closeCodes.get(0) != 1012, client.user + " close codes " + client.closeCodes);
            }
        }
        scenario.assertNothingMissing();
    }

    /** Five readers and a writer on gateway A, two readers and a writer on gateway B, all in one room. */
    private static final class Scenario {
        final String room;
        final List<RoomFollower> onA = new ArrayList<>();
        final List<RoomFollower> onB = new ArrayList<>();
        final List<RoomFollower> writers = new ArrayList<>();
        final List<RoomFollower> everyone = new ArrayList<>();
        volatile boolean aDown;

        Scenario(String name) {
            room = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            Supplier<String> a = () -> aDown ? gatewayB.url() : gatewayA.url();
            Supplier<String> b = gatewayB::url;
            for (int i = 0; i < 5; i++) {
                onA.add(new RoomFollower("a-reader-" + i, room, history).via(a));
            }
            for (int i = 0; i < 2; i++) {
                onB.add(new RoomFollower("b-reader-" + i, room, history).via(b));
            }
            RoomFollower writerA = new RoomFollower("a-writer", room, history).via(a).sending(cids("a", PER_WRITER), 2, 15);
            RoomFollower writerB = new RoomFollower("b-writer", room, history).via(b).sending(cids("b", PER_WRITER), 2, 15);
            onA.add(writerA);
            onB.add(writerB);
            writers.add(writerA);
            writers.add(writerB);
            everyone.addAll(onA);
            everyone.addAll(onB);
        }

        private List<String> cids(String writer, int count) {
            List<String> cids = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                cids.add(room + "-" + writer + "-" + i);
            }
            return cids;
        }

        void runUntilHalfway() {
            assertTrue(RoomFollower.pumpAll(everyone, () -> writers.stream().allMatch(w -> w.acks.size() >= PER_WRITER / 3), 60_000,
                    () -> { }), "traffic before the failure");
        }

        void runToTheEnd(Runnable everyRound) {
            // Clients stay connected until the drain is over: it tells them `reconnect` batch by batch over its window.
            assertTrue(RoomFollower.pumpAll(everyone, () -> writers.stream().allMatch(RoomFollower::doneSending) && !gatewayA.isAlive(),
                    90_000, everyRound), "every message acknowledged, and gateway A gone");
            long highest = writers.stream().flatMap(w -> w.acks.values().stream()).mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(RoomFollower.pumpAll(everyone, () -> everyone.stream().allMatch(c -> c.last() >= highest), 60_000, () -> { }),
                    "every client caught up to " + highest);
            everyone.forEach(RoomFollower::close);
        }

        void assertNothingMissing() {
            Map<Long, String> acked = new HashMap<>();
            for (RoomFollower writer : writers) {
                assertEquals(List.of(), writer.ackConflicts, writer.user);
                assertEquals(PER_WRITER, writer.acks.size(), writer.user);
                writer.acks.forEach((cid, seq) -> assertEquals(null, acked.put(seq, cid), "seq " + seq + " acknowledged twice"));
            }
            int total = 2 * PER_WRITER;
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> HistoryApi.all(history, room, "auditor").size() >= total);
            List<JsonNode> stored = HistoryApi.all(history, room, "auditor");
            assertEquals(total, stored.size(), "history holds each accepted message once");
            for (int i = 0; i < total; i++) {
                assertEquals(i + 1, stored.get(i).path("seq").asLong());
                assertEquals(acked.get(i + 1L), stored.get(i).path("text").asText(), "stored message " + (i + 1));
            }
            for (RoomFollower client : everyone) {
                assertEquals(List.of(), client.errors, client.user);
                client.assertGot(RoomFollower.oneTo(total));
                for (long seq = 1; seq <= total; seq++) {
                    assertEquals(acked.get(seq), client.texts.get(seq), client.user + " seq " + seq);
                }
            }
            int resends = writers.stream().mapToInt(w -> w.resends).sum();
            System.out.printf("GatewayFailoverIT %s: %d resends, reconnects on A's clients %s%n", room, resends,
                    onA.stream().map(c -> c.user + "=" + c.closeCodes).toList());
        }
    }
}
