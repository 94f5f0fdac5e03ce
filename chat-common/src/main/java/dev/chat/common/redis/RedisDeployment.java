package dev.chat.common.redis;

import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * How the services reach Redis, read from the settings of Quarkus's own client so there is one switch:
 * a standalone server (the default) or a Redis Cluster ({@code quarkus.redis.client-type=cluster}, with
 * seed nodes in {@code quarkus.redis.hosts}). The connections the services hold themselves (subscribers,
 * log readers) are built here with the same password and TLS host name check.
 */
public final class RedisDeployment {

    private final boolean cluster;
    private final List<String> hosts;
    private final String password;
    private final String hostnameCheck;
    private final Duration userTimeout;

    RedisDeployment(boolean cluster, List<String> hosts, String password, String hostnameCheck, Duration userTimeout) {
        this.cluster = cluster;
        this.hosts = List.copyOf(hosts);
        this.password = password;
        this.hostnameCheck = hostnameCheck;
        this.userTimeout = userTimeout;
    }

    /** Read at run time (never while a native image is built). */
    public static RedisDeployment fromConfig() {
        Config config = ConfigProvider.getConfig();
        boolean cluster = config.getOptionalValue("quarkus.redis.client-type", String.class).map("cluster"::equalsIgnoreCase).orElse(false);
        List<String> hosts = Arrays.stream(config.getOptionalValue("quarkus.redis.hosts", String.class).orElse("redis://127.0.0.1:6379")
                .split(",")).map(String::trim).filter(h -> !h.isEmpty()).toList();
        return new RedisDeployment(cluster, hosts, config.getOptionalValue("quarkus.redis.password", String.class).orElse(null),
                config.getOptionalValue("quarkus.redis.tls.hostname-verification-algorithm", String.class).orElse("NONE"),
                config.getOptionalValue("chat.redis-tcp-user-timeout", Duration.class).orElse(Duration.ofSeconds(30)));
    }

    public boolean cluster() {
        return cluster;
    }

    public List<String> hosts() {
        return hosts;
    }

    /** A client for commands: on the first host, or on the whole cluster (routing each command by its key's slot). */
    public RedisOptions options(String poolName) {
        RedisOptions options = base(new RedisOptions().setPoolName(poolName));
        if (cluster) {
            options.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
            hosts.forEach(options::addConnectionString);
        } else {
            options.setConnectionString(hosts.get(0));
        }
        return options;
    }

    /** A connection to one node (a standalone server, or one master of a cluster, for sharded Pub/Sub). */
    public RedisOptions nodeOptions(String endpoint, String poolName) {
        return base(new RedisOptions().setPoolName(poolName).setConnectionString(endpoint));
    }

    /**
     * The URL of a node that {@code CLUSTER SLOTS} named by address: the seeds' scheme ({@code rediss://}
     * for TLS) and ACL user, the node's host and port.
     */
    public String endpoint(String host, int port) {
        URI seed = URI.create(hosts.get(0));
        String user = seed.getRawUserInfo() == null ? "" : seed.getRawUserInfo() + "@";
        String address = host.contains(":") ? "[" + host + "]" : host;
        return seed.getScheme() + "://" + user + address + ":" + port;
    }

    /**
     * Lets the kernel find a connection that is gone without a word (a peer host lost, a NAT or load balancer that
     * dropped it): a connection whose sent data goes unacknowledged for {@code chat.redis-tcp-user-timeout} is closed
     * (native transport only, which both services prefer), which fails the commands waiting on it instead of holding
     * them and their pooled connection for the kernel's 15 minutes of retries; and TCP keep-alive is on. Vert.x 4.5
     * sets keep-alive's idle time on servers only, so a client's probes start after the kernel's
     * {@code net.ipv4.tcp_keepalive_time} (2 hours unless set): a quiet subscriber is pinged by {@link HalfOpenCheck}.
     */
    public void applySocketOptions(NetClientOptions options) {
        options.setTcpKeepAlive(true).setTcpUserTimeout((int) Math.min(Integer.MAX_VALUE, userTimeout.toMillis()));
    }

    private RedisOptions base(RedisOptions options) {
        applySocketOptions(options.getNetClientOptions());
        options.setPassword(password);
        // Over rediss:// Vert.x refuses to connect until a host name check is chosen: the same as Quarkus's client (NONE unless set).
        options.getNetClientOptions().setHostnameVerificationAlgorithm("NONE".equalsIgnoreCase(hostnameCheck) ? "" : hostnameCheck);
        return options;
    }
}
