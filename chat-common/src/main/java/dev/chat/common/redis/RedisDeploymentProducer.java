package dev.chat.common.redis;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The deployment (standalone or cluster) and its names, read once at run time, for injection in either service. */
@Singleton
public class RedisDeploymentProducer {

    @Produces
    @Singleton
    RedisDeployment deployment() {
        return RedisDeployment.fromConfig();
    }

    @Produces
    @Singleton
    RedisLayout layout(RedisDeployment deployment) {
        return RedisLayout.of(deployment);
    }
}
