package dev.chat.load.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Reads the flat JSON objects of both protocols with Jackson's streaming parser: one pass, no tree,
 * because the tool parses every delivery of a run (tens of thousands per second) on a shared CPU.
 */
public final class FrameParser {

    private static final JsonFactory JSON = new JsonFactory();

    private FrameParser() {
    }

    /** Parses {@code {"type":...,...}} (our protocol). */
    public static Frame parseObject(String json) throws IOException {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            return readFields(p, null);
        }
    }

    /** Parses a Socket.IO event payload {@code ["name",{...}]}; the event name becomes the frame type. */
    public static Frame parseEvent(String jsonArray) throws IOException {
        try (JsonParser p = JSON.createParser(jsonArray)) {
            if (p.nextToken() != JsonToken.START_ARRAY || p.nextToken() != JsonToken.VALUE_STRING) {
                throw new IOException("not a Socket.IO event array");
            }
            String name = p.getText();
            JsonToken next = p.nextToken();
            if (next == JsonToken.START_OBJECT) {
                return readFields(p, name);
            }
            return Frame.other(name);
        }
    }

    private static Frame readFields(JsonParser p, String typeOverride) throws IOException {
        String type = typeOverride;
        String room = null;
        String origin = "";
        String cid = null;
        String code = null;
        String text = null;
        long seq = -1;
        long ts = -1;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                p.skipChildren();
                continue;
            }
            switch (field) {
                case "type" -> {
                    if (typeOverride == null) {
                        type = p.getText();
                    }
                }
                case "room" -> room = p.getText();
                case "origin" -> origin = p.getText();
                case "cid" -> cid = value == JsonToken.VALUE_NULL ? null : p.getText();
                case "code" -> code = p.getText();
                case "text" -> text = p.getText();
                case "seq" -> seq = value.isNumeric() ? p.getLongValue() : -1;
                case "ts" -> ts = value.isNumeric() ? p.getLongValue() : -1;
                default -> {
                }
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw new IOException("unterminated object");
        }
        if (type == null) {
            throw new IOException("frame without type");
        }
        return new Frame(type, room, seq, origin == null ? "" : origin, cid, code, text, ts);
    }
}
