package dev.chat.history.health;

import dev.chat.history.reseed.CounterReseeder;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while Redis lacks its generation marker, i.e. while room counters still wait to be re-seeded. */
@Readiness
@ApplicationScoped
public class ReseedReadiness implements HealthCheck {

    private final CounterReseeder reseeder;

    public ReseedReadiness(CounterReseeder reseeder) {
        this.reseeder = reseeder;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("reseed").status(reseeder.generationPresent()).build();
    }
}
