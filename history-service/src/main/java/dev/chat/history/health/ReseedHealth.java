package dev.chat.history.health;

import dev.chat.history.reseed.CounterReseeder;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

/** DOWN while Redis lacks its generation marker (room counters wait to be re-seeded); in the ingest group, not readiness. */
@HealthGroup("ingest")
@ApplicationScoped
public class ReseedHealth implements HealthCheck {

    private final CounterReseeder reseeder;

    public ReseedHealth(CounterReseeder reseeder) {
        this.reseeder = reseeder;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("reseed").status(reseeder.generationPresent()).build();
    }
}
