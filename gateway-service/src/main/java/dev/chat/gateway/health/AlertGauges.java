package dev.chat.gateway.health;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The two gauges the alert rules (deploy/kubernetes/monitoring) need that no feature owns: whether
 * the Redis subscriber connection is up (readiness says it too, but Prometheus cannot read readiness)
 * and the connection cap, so "near the cap" is a ratio of two series rather than a number in the rule.
 */
@Startup
@ApplicationScoped
public class AlertGauges {

    public AlertGauges(GatewayMetrics metrics, RoomSubscriber subscriber, GatewayConfig config) {
        metrics.gauge("chat.gateway.redis.subscriber.up", "1 while the Redis subscriber connection is open with every channel",
                () -> subscriber.isUp() ? 1 : 0);
        int cap = config.limits().maxConnections();
        metrics.gauge("chat.gateway.connections.max", "Connections this gateway accepts before refusing upgrades with 503", () -> cap);
    }
}
