package dev.chat.gateway.publish;

import io.opentelemetry.api.trace.SpanContext;

/** The W3C traceparent of a span, as the message carries it to the history service; empty when tracing is off. */
final class Traceparent {

    private Traceparent() {
    }

    static String of(SpanContext context) {
        return context.isValid()
                ? "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex()
                : "";
    }
}
