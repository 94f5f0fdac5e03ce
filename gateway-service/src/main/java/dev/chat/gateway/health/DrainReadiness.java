package dev.chat.gateway.health;

import dev.chat.gateway.connection.GatewayDrain;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready from the moment shutdown begins, so the load balancer stops sending new clients here. */
@Readiness
@ApplicationScoped
public class DrainReadiness implements HealthCheck {

    private final GatewayDrain drain;

    public DrainReadiness(GatewayDrain drain) {
        this.drain = drain;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("accepting-connections").status(!drain.isDraining()).build();
    }
}
