package dev.chat.common.tracing;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The tracer for the spans the services make themselves (a send's publish, its insert into PostgreSQL).
 * With {@code quarkus.otel.sdk.disabled=true} Quarkus turns off its exporters and instrumentations but keeps
 * a sampling SDK tracer: spans made from it get real ids, so every message carried a traceparent nobody
 * collects (about 80 bytes in Redis and in every delivery, and the span's work on both services). Off,
 * this is OpenTelemetry's no-op tracer, whose spans are invalid and put nothing in a message.
 */
@Singleton
public class ChatTracer {

    private final Tracer tracer;

    ChatTracer(Tracer sdkTracer, @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean sdkDisabled) {
        this.tracer = sdkDisabled ? OpenTelemetry.noop().getTracer("chat") : sdkTracer;
    }

    public SpanBuilder spanBuilder(String name) {
        return tracer.spanBuilder(name);
    }
}
