package dev.chat.history.ingest;

import dev.chat.common.tracing.ChatTracer;
import dev.chat.history.store.ChatMessage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import jakarta.inject.Singleton;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Carries each message's trace context (the gateway's W3C traceparent, in the message only when the
 * gateway traces) from its payload to the insert that stores it, so one send can be followed from the
 * gateway into PostgreSQL. Bounded: past 10,000 unstored traced messages the oldest contexts are
 * forgotten (a gap in a trace, never unbounded memory).
 */
@Singleton
public class IngestTraces {

    private static final int MAX = 10_000;
    private static final Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    private final ChatTracer tracer;
    private final Map<String, SpanContext> contexts = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SpanContext> eldest) {
            return size() > MAX;
        }
    });

    public IngestTraces(ChatTracer tracer) {
        this.tracer = tracer;
    }

    /** Keeps the message's trace context until it is stored; ignores a missing or malformed one. */
    void remember(String room, long seq, String traceparent) {
        Matcher m = traceparent == null ? null : TRACEPARENT.matcher(traceparent);
        if (m != null && m.matches()) {
            SpanContext context = SpanContext.createFromRemoteParent(m.group(1), m.group(2),
                    TraceFlags.fromHex(m.group(3), 0), TraceState.getDefault());
            if (context.isValid()) {
                contexts.put(room + "#" + seq, context);
            }
        }
    }

    /**
     * A span for one insert: the child of the first traced message in the batch, linked to the others
     * (a batch stores several sends, each with its own trace). A no-op span when tracing is off.
     */
    Span startInsert(List<ChatMessage> messages) {
        SpanBuilder span = tracer.spanBuilder("history insert").setSpanKind(SpanKind.CONSUMER)
                .setAttribute("chat.messages", messages.size());
        SpanContext parent = null;
        // Nothing remembered (tracing off, or no traced sends): skip the per-message lookups.
        for (ChatMessage message : contexts.isEmpty() ? List.<ChatMessage>of() : messages) {
            SpanContext context = contexts.remove(message.room() + "#" + message.seq());
            if (context == null) {
                continue;
            }
            if (parent == null) {
                parent = context;
            } else {
                span.addLink(context);
            }
        }
        if (parent != null) {
            span.setParent(Context.root().with(Span.wrap(parent)));
        }
        return span.startSpan();
    }
}
