package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import dev.chat.common.redis.KeySlots;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis Cluster fixture does what cluster tests will rely on: three masters with a replica each,
 * slots computed in Java as Redis computes them, failover of a killed master without losing
 * acknowledged writes, and a slot moved with its keys.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OwnRedisClusterTest {

    static OwnRedisCluster cluster;
    final Random random = new Random();

    @BeforeAll
    static void startCluster() {
        cluster = OwnRedisCluster.start("own-redis-cluster-test");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void comesUpWithThreeMastersEachWithAReplicaCoveringAllSlots() {
        List<Integer> masters = cluster.masterPorts();
        assertEquals(3, masters.size(), cluster.toString());
        for (int master : masters) {
            assertEquals(1, cluster.replicasOf(master).size(), "replicas of " + master);
        }
        for (int port : cluster.ports()) {
            List<String> info = cluster.cli(port).run("CLUSTER", "INFO").stream().map(String::trim).toList();
            assertTrue(info.contains("cluster_state:ok"), port + ": " + info);
            assertTrue(info.contains("cluster_slots_assigned:16384"), port + ": " + info);
            assertTrue(info.contains("cluster_known_nodes:6"), port + ": " + info);
        }
        String[] hosts = cluster.hosts().split(",");
        assertEquals(6, hosts.length);
        for (String host : hosts) {
            assertTrue(host.matches("redis://127\\.0\\.0\\.1:\\d+"), host);
        }
    }

    @Test
    void javaSlotsAgreeWithClusterKeyslotIncludingHashTags() {
        String alphabet = "abcXYZ019:_-{}{}{} é";
        List<String> keys = new ArrayList<>(List.of("foo", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "{}", "{", "}", "a{b}c{d}e", "{é}"));
        while (keys.size() < 400) {
            StringBuilder key = new StringBuilder();
            int length = 1 + random.nextInt(20);
            for (int i = 0; i < length; i++) {
                key.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            keys.add(key.toString());
        }
        // One redis-cli for all: quoted, as the keys hold braces and spaces (and no quote or backslash).
        List<String> replies = cluster.cli(cluster.ports().get(0))
                .session(keys.stream().map(key -> "CLUSTER KEYSLOT \"" + key + "\"").toList());
        assertEquals(keys.size(), replies.size(), replies.toString());
        for (int i = 0; i < keys.size(); i++) {
            assertEquals(Integer.parseInt(replies.get(i).trim()), KeySlots.slot(keys.get(i)), "slot of " + keys.get(i));
        }
    }

    @Test
    void everySlotHasAShortTagThatHashesToIt() {
        String[] tags = KeySlots.shortestTags();
        for (int slot = 0; slot < KeySlots.SLOTS; slot++) {
            String tag = KeySlots.tagForSlot(slot);
            assertEquals(tags[slot], tag);
            assertTrue(tag.length() <= 3, tag);
            assertEquals(slot, KeySlots.slot(tag), tag);
            assertEquals(slot, KeySlots.slot("room:{" + tag + "}:log"), tag);
        }
        // And Redis agrees, on a sample.
        List<Integer> sample = IntStream.range(0, 50).map(i -> random.nextInt(KeySlots.SLOTS)).boxed().toList();
        for (int slot : sample) {
            assertEquals(slot, cluster.keySlot("room:{" + KeySlots.tagForSlot(slot) + "}"));
        }
    }

    @Test
    void aKilledMasterIsReplacedByItsReplicaAndKeysWrittenWithWaitSurvive() {
        int slot = random.nextInt(KeySlots.SLOTS);
        String tag = KeySlots.tagForSlot(slot);
        int master = cluster.masterOf(slot);
        List<String> writes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.add("SET {" + tag + "}:" + i + " v" + i);
        }
        writes.add("WAIT 1 5000");
        List<String> replies = cluster.cli(master).session(writes);
        assertEquals("1", replies.get(replies.size() - 1).trim(), "WAIT: replicas that acknowledged, " + replies);

        cluster.killMaster(master);
        cluster.awaitFailover();

        int promoted = cluster.masterOf(slot);
        assertNotEquals(master, promoted);
        assertEquals(3, cluster.masterPorts().size());
        for (int i = 0; i < 50; i++) {
            assertEquals(List.of("v" + i), cluster.cli(promoted).run("GET", "{" + tag + "}:" + i));
        }

        cluster.restart(master);
        assertEquals(List.of(master), cluster.replicasOf(promoted), "the old master rejoins as a replica");
        assertEquals(3, cluster.masterPorts().size());
    }

    @Test
    void aMigratedSlotMovesWithItsKeysAndChangesOwner() {
        int slot = random.nextInt(KeySlots.SLOTS);
        String tag = KeySlots.tagForSlot(slot);
        int from = cluster.masterOf(slot);
        int to = cluster.masterPorts().stream().filter(port -> port != from).findFirst().orElseThrow();
        List<String> mset = new ArrayList<>(List.of("MSET"));
        for (int i = 0; i < 250; i++) {
            mset.add("{" + tag + "}:" + i);
            mset.add("v" + i);
        }
        assertEquals(List.of("OK"), cluster.cli(from).run(mset.toArray(String[]::new)));

        cluster.migrateSlot(slot, to);

        assertEquals(to, cluster.masterOf(slot));
        String s = Integer.toString(slot);
        assertEquals(List.of("250"), cluster.cli(to).run("CLUSTER", "COUNTKEYSINSLOT", s));
        assertEquals(List.of("0"), cluster.cli(from).run("CLUSTER", "COUNTKEYSINSLOT", s));
        assertEquals(List.of("v7"), cluster.cli(to).run("GET", "{" + tag + "}:7"));
        String redirect = String.join(" ", cluster.cli(from).run("GET", "{" + tag + "}:7"));
        assertTrue(redirect.contains("MOVED " + slot + " 127.0.0.1:" + to), redirect);
    }
}
