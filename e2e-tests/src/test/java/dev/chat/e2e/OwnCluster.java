package dev.chat.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole system of a test class's own: its Redis and PostgreSQL (so faults can be injected without
 * touching the shared servers), the history service and some gateways on them. Closing stops it all,
 * also when starting failed half-way.
 */
final class OwnCluster implements AutoCloseable {

    OwnRedisServer redis;
    OwnPostgres postgres;
    ServiceProcess history;
    final List<ServiceProcess> gateways = new ArrayList<>();

    /**
     * Starts everything and waits until every service is ready and rooms can start: the Redis is new, so
     * history must first write its generation marker, and until then a join is answered {@code unavailable}.
     *
     * @param name      prefix of the process and log names
     * @param gateways  how many gateways (named {@code name-gateway-a}, {@code -b}, ...)
     * @param historyEnv extra environment of the history service
     * @param gatewayEnv extra environment of every gateway
     */
    static OwnCluster start(String name, int gateways, Map<String, String> historyEnv, Map<String, String> gatewayEnv) {
        OwnCluster cluster = new OwnCluster();
        try {
            cluster.redis = OwnRedisServer.start(name + "-redis");
            cluster.postgres = OwnPostgres.start();
            cluster.history = ServiceProcess.history(name + "-history", cluster.redis.url(), cluster.postgres.database());
            historyEnv.forEach(cluster.history::with);
            for (int i = 0; i < gateways; i++) {
                ServiceProcess gateway = ServiceProcess.gateway(name + "-gateway-" + (char) ('a' + i), cluster.redis.url());
                gatewayEnv.forEach(gateway::with);
                cluster.gateways.add(gateway);
            }
            List<ServiceProcess> all = new ArrayList<>(cluster.gateways);
            all.add(cluster.history);
            ServiceProcess.startAll(all.toArray(ServiceProcess[]::new));
            cluster.history.awaitRoomsCanStart();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    static OwnCluster start(String name, int gateways) {
        return start(name, gateways, Map.of(), Map.of());
    }

    ServiceProcess gateway(int index) {
        return gateways.get(index);
    }

    @Override
    public void close() {
        try {
            for (ServiceProcess gateway : gateways) {
                gateway.stop();
            }
            if (history != null) {
                history.stop();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            if (redis != null) {
                redis.close();
            }
        }
    }
}
