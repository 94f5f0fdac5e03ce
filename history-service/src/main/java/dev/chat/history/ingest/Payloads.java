package dev.chat.history.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chat.history.store.ChatMessage;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Reads the gateway's message payloads (the client {@code message} frame, on the room channel and in
 * the recent log). Anything without a numeric {@code seq} is ephemeral traffic (typing and the like)
 * and is not stored.
 */
@ApplicationScoped
public class Payloads {

    private final ObjectMapper mapper;

    private final IngestTraces traces;

    public Payloads(ObjectMapper mapper, IngestTraces traces) {
        this.mapper = mapper;
        this.traces = traces;
    }

    /** The message in {@code payload} for {@code room}, or null when it is not a storable message. */
    public ChatMessage parse(String room, String payload) {
        JsonNode node;
        try {
            node = mapper.readTree(payload);
        } catch (JsonProcessingException e) {
            Log.debugf("Ignoring a non-JSON payload on room %s", room);
            return null;
        }
        if (node == null || !node.isObject() || !node.path("seq").isIntegralNumber()) {
            return null;
        }
        long seq = node.get("seq").asLong();
        JsonNode from = node.path("from");
        JsonNode text = node.path("text");
        JsonNode ts = node.path("ts");
        JsonNode payloadRoom = node.path("room");
        JsonNode cid = node.path("cid");
        if (seq < 1 || !from.isTextual() || !text.isTextual() || !ts.isIntegralNumber()
                || (payloadRoom.isTextual() && !payloadRoom.asText().equals(room))) {
            Log.warnf("Ignoring a malformed message payload on room %s (seq %d)", room, seq);
            return null;
        }
        // Present only when the gateway traces: the insert continues the sender's trace.
        traces.remember(room, seq, node.path("traceparent").asText(null));
        return new ChatMessage(room, seq, storable(from.asText()), storable(text.asText()), ts.asLong(),
                cid.isTextual() ? storable(cid.asText()) : null);
    }

    /** PostgreSQL text cannot hold U+0000 (JSON can): it becomes U+FFFD rather than failing the message. */
    private static String storable(String value) {
        return value.indexOf('\u0000') < 0 ? value : value.replace('\u0000', '\uFFFD');
    }
}
