package dev.chat.history.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chat.common.rooms.RoomNames;
import dev.chat.history.store.ChatMessage;
import io.quarkus.logging.Log;
import jakarta.inject.Singleton;
import java.io.IOException;

/**
 * Reads the gateway's message payloads (the client {@code message} frame, on the room channel and in the recent log).
 * Anything without a numeric {@code seq} is ephemeral traffic (typing and the like) and is not stored. One streaming
 * pass over the top-level fields, no tree: this runs for every message of every room. A frame whose {@code type} is
 * not {@code message} is dropped at that field, unread: the room channel also carries typing and presence frames
 * (full member lists in a connect storm), which are never stored.
 */
@Singleton
public class Payloads {

    private static final String MESSAGE_TYPE = "message";

    private final JsonFactory json;

    private final IngestTraces traces;

    public Payloads(ObjectMapper mapper, IngestTraces traces) {
        this.json = mapper.getFactory();
        this.traces = traces;
    }

    /**
     * The message in {@code payload} for {@code room}, or null when it is not a storable message. With
     * {@code room} null (a slot channel carries many rooms) the payload's own room field names it.
     */
    public ChatMessage parse(String room, String payload) {
        long seq = 0;
        boolean hasSeq = false;
        boolean hasTs = false;
        long ts = 0;
        String from = null;
        String text = null;
        String payloadRoom = null;
        String cid = null;
        String traceparent = null;
        try (JsonParser p = json.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "type" -> {
                        if (value == JsonToken.VALUE_STRING && !MESSAGE_TYPE.equals(p.getText())) {
                            return null;
                        }
                    }
                    case "seq" -> {
                        hasSeq = value == JsonToken.VALUE_NUMBER_INT;
                        seq = hasSeq ? p.getValueAsLong() : 0;
                    }
                    case "ts" -> {
                        hasTs = value == JsonToken.VALUE_NUMBER_INT;
                        ts = hasTs ? p.getValueAsLong() : 0;
                    }
                    case "from" -> from = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "text" -> text = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "room" -> payloadRoom = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "cid" -> cid = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    case "traceparent" -> traceparent = value == JsonToken.VALUE_STRING ? p.getText() : null;
                    default -> p.skipChildren();
                }
            }
            if (token != JsonToken.END_OBJECT) {
                return null;
            }
        } catch (IOException e) {
            Log.debugf("Ignoring a non-JSON payload on room %s", room);
            return null;
        }
        if (!hasSeq) {
            return null;
        }
        if (room == null) {
            if (payloadRoom == null || !RoomNames.isValidRoom(payloadRoom)) {
                Log.warnf("Ignoring a message payload without a valid room on a slot channel (seq %d)", seq);
                return null;
            }
            room = payloadRoom;
        }
        if (seq < 1 || from == null || text == null || !hasTs || (payloadRoom != null && !payloadRoom.equals(room))) {
            Log.warnf("Ignoring a malformed message payload on room %s (seq %d)", room, seq);
            return null;
        }
        // Present only when the gateway traces: the insert continues the sender's trace.
        traces.remember(room, seq, traceparent);
        return new ChatMessage(room, seq, storable(from), storable(text), ts, cid == null ? null : storable(cid));
    }

    /** PostgreSQL text cannot hold U+0000 (JSON can): it becomes U+FFFD rather than failing the message. */
    private static String storable(String value) {
        return value.indexOf('\u0000') < 0 ? value : value.replace('\u0000', '\uFFFD');
    }
}
