package dev.chat.common.redis;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.runtime.datasource.ReactiveRedisDataSourceImpl;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisAPI;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The data source both services send their commands through. On a standalone Redis it is the one Quarkus
 * builds, from the same client and API objects. On a Redis Cluster its commands go over a few long-lived cluster
 * connections ({@link ClusterConnections}) instead of one pooled connection per master per command; that
 * client is also how {@link LuaScript} tells that a pipeline may not span masters.
 */
@Singleton
public class RedisDataSourceProducer {

    /** Long-lived cluster connections per process: WAIT blocks one of them at a time. */
    private static final int CLUSTER_CONNECTIONS = 4;

    @Produces
    @Alternative
    @Priority(1)
    @Singleton
    ReactiveRedisDataSource dataSource(Vertx vertx, Redis client, RedisAPI api, RedisDeployment deployment) {
        if (!deployment.cluster()) {
            return new ReactiveRedisDataSourceImpl(vertx, client, api);
        }
        Redis shared = Redis.newInstance(new ClusterConnections(client.getDelegate(), CLUSTER_CONNECTIONS));
        return new ReactiveRedisDataSourceImpl(vertx, shared, RedisAPI.api(shared));
    }
}
