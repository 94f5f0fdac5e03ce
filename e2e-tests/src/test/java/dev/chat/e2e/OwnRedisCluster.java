package dev.chat.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import dev.chat.common.redis.KeySlots;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Redis Cluster of the test's own (masters with replicas, all redis-server processes on free loopback
 * ports), so tests can kill a master, wait for its replica to take over and move slots between masters
 * the way an operator does, without touching the shared Redis. No persistence: a node keeps only its
 * cluster identity (nodes-PORT.conf in a temporary directory) across {@link #restart(int)}, so a
 * restarted master comes back empty and rejoins as a replica of the node that replaced it.
 */
final class OwnRedisCluster implements AutoCloseable {

    /** Failure detection (node timeout 2 s) plus the replica's election delay, with room for a loaded machine. */
    private static final long SETTLE_MILLIS = 30_000;

    private final String name;
    private final Path dir;
    private final List<Node> nodes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "own-redis-cluster-stop");

    private OwnRedisCluster(String name) {
        this.name = name;
        try {
            this.dir = Files.createTempDirectory("own-redis-cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Three masters with one replica each. */
    static OwnRedisCluster start(String name) {
        return start(name, 3, 1);
    }

    /** Starts the nodes, joins them (redis-cli --cluster create) and waits until every node says cluster_state:ok. */
    static OwnRedisCluster start(String name, int masters, int replicasPerMaster) {
        OwnRedisCluster cluster = new OwnRedisCluster(name);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            for (int i = 0; i < masters * (1 + replicasPerMaster); i++) {
                Node node = cluster.new Node();
                cluster.nodes.add(node);
                node.start();
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            cluster.nodes.forEach(node -> create.add("127.0.0.1:" + node.port));
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            String out = exec(create);
            if (!out.contains("All 16384 slots covered")) {
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
            }
            cluster.awaitStable();
            // A replica that has not finished its first sync could not take over, nor acknowledge a WAIT.
            for (int master : cluster.masterPorts()) {
                cluster.await("replicas of " + master + " in sync", () -> cluster.replicasOf(master).size() == replicasPerMaster
                        && cluster.replicasOf(master).stream().allMatch(cluster::replicaLinkUp));
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** Seeds in the form of {@code quarkus.redis.hosts} with {@code quarkus.redis.client-type=cluster}: every node, comma-separated. */
    String hosts() {
        return nodes.stream().map(node -> node.cli.url()).collect(Collectors.joining(","));
    }

    /** The ports of all nodes, running or not. */
    List<Integer> ports() {
        return nodes.stream().map(node -> node.port).toList();
    }

    RedisCli cli(int port) {
        return node(port).cli;
    }

    /** Masters that own slots, in the view of a running node. */
    List<Integer> masterPorts() {
        return view().stream().filter(n -> n.isMaster() && !n.slots.isEmpty() && !n.failed()).map(ClusterNode::port).sorted().toList();
    }

    /** Replicas of a master (by port), in the view of a running node. */
    List<Integer> replicasOf(int masterPort) {
        List<ClusterNode> view = view();
        String masterId = view.stream().filter(n -> n.port == masterPort).findFirst().orElseThrow().id;
        return view.stream().filter(n -> masterId.equals(n.masterId) && !n.failed()).map(ClusterNode::port).sorted().toList();
    }

    /** The node's id in the cluster (CLUSTER MYID). */
    String nodeId(int port) {
        return node(port).cli.run("CLUSTER", "MYID").get(0).trim();
    }

    /** The slot of a key as Redis computes it (CLUSTER KEYSLOT); {@link KeySlots#slot} does it in Java. */
    int keySlot(String key) {
        return Integer.parseInt(anyRunning().cli.run("CLUSTER", "KEYSLOT", key).get(0).trim());
    }

    /** The port of the master serving a slot, in the view of a running node. */
    int masterOf(int slot) {
        return view().stream().filter(n -> n.isMaster() && !n.failed() && n.owns(slot)).findFirst()
                .map(ClusterNode::port).orElseThrow(() -> new IllegalStateException("no master serves slot " + slot));
    }

    int masterOfKey(String key) {
        return masterOf(KeySlots.slot(key));
    }

    /** SIGKILL of a master: its slots are unserved (cluster_state:fail) until {@link #awaitFailover()}. */
    void killMaster(int port) {
        if (!masterPorts().contains(port)) {
            throw new IllegalArgumentException(port + " is not a master serving slots");
        }
        node(port).kill();
    }

    /** Kills any node (master or replica). */
    void kill(int port) {
        node(port).kill();
    }

    /** Waits until replicas have taken over from killed masters: every slot served by a running master, cluster_state:ok everywhere. */
    void awaitFailover() {
        awaitStable();
    }

    /**
     * Starts a killed node again on its port with its cluster identity; waits until it has rejoined
     * (all running nodes agree on the slot owners again) and, if it is a replica, has synced.
     */
    void restart(int port) {
        Node node = node(port);
        node.start();
        awaitStable();
        await(port + " rejoined", () -> {
            ClusterNode self = view(node).stream().filter(ClusterNode::myself).findFirst().orElseThrow();
            return self.isMaster() || replicaLinkUp(port);
        });
    }

    /**
     * Moves one slot with its keys to another master the way redis-cli --cluster reshard does it (which
     * cannot pick a slot): SETSLOT IMPORTING on the target, MIGRATING on the source, MIGRATE the keys in
     * batches, then SETSLOT NODE on the target, the source and every other master. Clients of the slot
     * get ASK redirects while it moves and MOVED after.
     */
    void migrateSlot(int slot, int toMasterPort) {
        int fromPort = masterOf(slot);
        if (fromPort == toMasterPort) {
            return;
        }
        RedisCli from = cli(fromPort);
        RedisCli to = cli(toMasterPort);
        String fromId = nodeId(fromPort);
        String toId = nodeId(toMasterPort);
        String s = Integer.toString(slot);
        expectOk(to.run("CLUSTER", "SETSLOT", s, "IMPORTING", fromId));
        expectOk(from.run("CLUSTER", "SETSLOT", s, "MIGRATING", toId));
        while (true) {
            List<String> keys = from.run("CLUSTER", "GETKEYSINSLOT", s, "100").stream().filter(k -> !k.isEmpty()).toList();
            if (keys.isEmpty()) {
                break;
            }
            List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(toMasterPort), "", "0", "5000", "KEYS"));
            migrate.addAll(keys);
            expectOk(from.run(migrate.toArray(String[]::new)));
        }
        // The target first: once the source lets go, clients it redirects must find the target owning the slot.
        expectOk(to.run("CLUSTER", "SETSLOT", s, "NODE", toId));
        expectOk(from.run("CLUSTER", "SETSLOT", s, "NODE", toId));
        for (int master : masterPorts()) {
            if (master != fromPort && master != toMasterPort) {
                expectOk(cli(master).run("CLUSTER", "SETSLOT", s, "NODE", toId));
            }
        }
        await("slot " + slot + " owned by " + toMasterPort + " everywhere",
                () -> running().allMatch(node -> toMasterPort == ownerIn(view(node), slot)));
    }

    /**
     * Waits until every running node says cluster_state:ok and all of them agree on which running
     * master serves each slot.
     */
    void awaitStable() {
        await("cluster stable", () -> {
            int[] first = null;
            for (Node node : running().toList()) {
                if (node.cli.run("CLUSTER", "INFO").stream().noneMatch(line -> line.trim().equals("cluster_state:ok"))) {
                    return false;
                }
                int[] owners = owners(view(node));
                if (Arrays.stream(owners).anyMatch(port -> port == 0 || !node(port).isRunning())) {
                    return false;
                }
                if (first != null && !Arrays.equals(first, owners)) {
                    return false;
                }
                first = owners;
            }
            return first != null;
        });
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs anyway.
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // Best effort: a temporary directory.
        }
    }

    private void killAll() {
        nodes.forEach(Node::kill);
    }

    private boolean replicaLinkUp(int port) {
        List<String> info = node(port).cli.run("INFO", "replication");
        return info.stream().anyMatch(line -> line.trim().equals("role:slave"))
                && info.stream().anyMatch(line -> line.trim().equals("master_link_status:up"));
    }

    private Node node(int port) {
        return nodes.stream().filter(node -> node.port == port).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node on " + port));
    }

    private Stream<Node> running() {
        return nodes.stream().filter(Node::isRunning);
    }

    private Node anyRunning() {
        return running().findFirst().orElseThrow(() -> new IllegalStateException("no node of " + name + " is running"));
    }

    private List<ClusterNode> view() {
        return view(anyRunning());
    }

    /** The cluster as one node sees it (CLUSTER NODES). */
    private static List<ClusterNode> view(Node node) {
        return node.cli.run("CLUSTER", "NODES").stream().filter(line -> !line.isBlank()).map(ClusterNode::parse).toList();
    }

    /** Per slot, the port of the master serving it in this view, 0 if none (or only a failed one). */
    private static int[] owners(List<ClusterNode> view) {
        int[] owners = new int[KeySlots.SLOTS];
        for (ClusterNode n : view) {
            if (n.isMaster() && !n.failed()) {
                for (int[] range : n.slots) {
                    Arrays.fill(owners, range[0], range[1] + 1, n.port);
                }
            }
        }
        return owners;
    }

    private static int ownerIn(List<ClusterNode> view, int slot) {
        return owners(view)[slot];
    }

    private static void expectOk(List<String> reply) {
        if (reply.isEmpty() || !reply.get(0).trim().equals("OK")) {
            throw new IllegalStateException("expected OK, got " + reply);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("not within " + SETTLE_MILLIS + " ms: " + what);
            }
            pause(100);
        }
    }

    private static String exec(List<String> command) {
        return RedisCli.exec(command, null, 60);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One line of CLUSTER NODES: id, address, flags, master id, slot ranges (importing/migrating markers left out). */
    private record ClusterNode(String id, int port, Set<String> flags, String masterId, List<int[]> slots) {

        static ClusterNode parse(String line) {
            String[] f = line.trim().split(" ");
            // 127.0.0.1:30001@40001[,hostname]
            String address = f[1].split("[@,]")[0];
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue;
                }
                String[] range = f[i].split("-");
                slots.add(new int[] {Integer.parseInt(range[0]), Integer.parseInt(range[range.length - 1])});
            }
            return new ClusterNode(f[0], port, Set.of(f[2].split(",")), "-".equals(f[3]) ? null : f[3], slots);
        }

        boolean isMaster() {
            return flags.contains("master");
        }

        boolean failed() {
            return flags.contains("fail") || flags.contains("noaddr");
        }

        boolean myself() {
            return flags.contains("myself");
        }

        boolean owns(int slot) {
            return slots.stream().anyMatch(range -> range[0] <= slot && slot <= range[1]);
        }
    }

    /** One redis-server process; its cluster bus port is chosen free as well (port + 10000 may not be). */
    private final class Node {

        final int port = ServiceProcess.freePort();
        final int busPort = ServiceProcess.freePort();
        final RedisCli cli = new RedisCli(port);
        private final RedisServerProcess server = new RedisServerProcess(name + "-" + port, port);

        void start() {
            server.start(List.of("--cluster-port", Integer.toString(busPort), "--cluster-enabled", "yes",
                    "--cluster-config-file", dir.resolve("nodes-" + port + ".conf").toString(), "--cluster-node-timeout", "2000",
                    "--dir", dir.toString()));
        }

        boolean isRunning() {
            return server.isRunning();
        }

        /** SIGKILL: the node vanishes with its data; its peers mark it failed after the node timeout. */
        void kill() {
            server.kill();
        }
    }

    @Override
    public String toString() {
        return name + " " + nodes.stream().map(node -> node.port + (node.isRunning() ? "" : "(down)")).toList();
    }
}
