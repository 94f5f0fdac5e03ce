package dev.chat.history.health;

import dev.chat.history.ingest.IngestWriter;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Ingest's state in the {@code ingest} health group ({@code /q/health/group/ingest}), not in readiness: while writes fail
 * the replay API still serves what is stored, so the pod stays in the Service; the alert is on
 * {@code chat_history_ingest_failing} and the lag.
 */
@HealthGroup("ingest")
@ApplicationScoped
public class IngestHealth implements HealthCheck {

    private final IngestWriter writer;

    public IngestHealth(IngestWriter writer) {
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
