package dev.chat.common.redis;

import io.quarkus.redis.client.RedisOptionsCustomizer;
import io.vertx.redis.client.RedisOptions;
import jakarta.inject.Singleton;

/** Quarkus's own Redis client (the command pool) gets the same socket options as the connections the services open themselves. */
@Singleton
public class RedisSocketOptions implements RedisOptionsCustomizer {

    private final RedisDeployment deployment;

    RedisSocketOptions(RedisDeployment deployment) {
        this.deployment = deployment;
    }

    @Override
    public void customize(String clientName, RedisOptions options) {
        deployment.applySocketOptions(options.getNetClientOptions());
    }
}
