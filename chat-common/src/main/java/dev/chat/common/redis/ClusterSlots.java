package dev.chat.common.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Which master serves each hash slot, as one node of a Redis Cluster sees it ({@code CLUSTER SLOTS}). */
public final class ClusterSlots {

    private final String[] ownerBySlot;

    private ClusterSlots(String[] ownerBySlot) {
        this.ownerBySlot = ownerBySlot;
    }

    /** The endpoint (a URL, see {@link RedisDeployment#endpoint}) of the master serving the slot, or null if none does. */
    public String owner(int slot) {
        return ownerBySlot[slot];
    }

    /** The masters that serve at least one slot. */
    public Set<String> masters() {
        Set<String> masters = new LinkedHashSet<>();
        for (String owner : ownerBySlot) {
            if (owner != null) {
                masters.add(owner);
            }
        }
        return masters;
    }

    /**
     * Asks the given nodes in turn (the seeds, then the masters seen last time) until one answers; fails if
     * none does or some slot has no master (the cluster is failing over).
     */
    public static Future<ClusterSlots> read(Vertx vertx, RedisDeployment deployment, List<String> nodes) {
        return readFrom(vertx, deployment, new ArrayList<>(new LinkedHashSet<>(nodes)), 0, null);
    }

    private static Future<ClusterSlots> readFrom(Vertx vertx, RedisDeployment deployment, List<String> nodes, int index, Throwable last) {
        if (index >= nodes.size()) {
            return Future.failedFuture(last != null ? last : new IllegalStateException("no Redis Cluster node to ask"));
        }
        String node = nodes.get(index);
        Redis client = Redis.createClient(vertx, deployment.nodeOptions(node, "cluster-slots").setMaxPoolSize(1));
        return client.send(Request.cmd(Command.CLUSTER).arg("SLOTS"))
                .map(reply -> parse(reply, deployment, URI.create(node).getHost()))
                .eventually(() -> {
                    client.close();
                    return Future.succeededFuture();
                })
                .recover(failure -> readFrom(vertx, deployment, nodes, index + 1, failure));
    }

    static ClusterSlots parse(Response reply, RedisDeployment deployment, String askedHost) {
        String[] owners = new String[KeySlots.SLOTS];
        for (Response range : reply) {
            int from = range.get(0).toInteger();
            int to = range.get(1).toInteger();
            Response master = range.get(2);
            String host = master.get(0) == null ? "" : master.get(0).toString();
            // A node that does not know its own address answers "" (or "?" for an unknown one): it is the node asked.
            if (host.isEmpty() || "?".equals(host)) {
                host = askedHost;
            }
            String endpoint = deployment.endpoint(host, master.get(1).toInteger());
            for (int slot = from; slot <= to; slot++) {
                owners[slot] = endpoint;
            }
        }
        for (int slot = 0; slot < owners.length; slot++) {
            if (owners[slot] == null) {
                throw new IllegalStateException("slot " + slot + " has no master");
            }
        }
        return new ClusterSlots(owners);
    }
}
