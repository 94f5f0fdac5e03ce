package dev.chat.history.health;

import dev.chat.history.ingest.IngestWriter;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while received messages cannot be written to PostgreSQL (they wait in memory and are retried). */
@Readiness
@ApplicationScoped
public class IngestReadiness implements HealthCheck {

    private final IngestWriter writer;

    public IngestReadiness(IngestWriter writer) {
        this.writer = writer;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("ingest")
                .status(!writer.failing())
                .withData("pending", writer.pending());
        String failure = writer.lastFailure();
        if (failure != null) {
            response.withData("lastFailure", failure);
        }
        return response.build();
    }
}
