package dev.chat.gateway.room;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A frame as Redis carries it to every gateway: read once per gateway for routing (room, seq, user)
 * and written as is, already encoded, to every local recipient. Frames without a seq (typing,
 * presence events) are ephemeral: delivered live, never stored, never replayed. {@code utf8} is the frame's
 * wire form, encoded once here so each recipient writes the same bytes instead of encoding it again.
 */
public record RoomMessage(String type, long seq, String room, String user, long ts, String frame, byte[] utf8) {

    public RoomMessage(String type, long seq, String room, String user, long ts, String frame) {
        this(type, seq, room, user, ts, frame, frame.getBytes(StandardCharsets.UTF_8));
    }

    private static final JsonFactory JSON = new JsonFactory();

    /** Reads the routing fields with a streaming parser (no tree: this runs once per message per gateway). */
    public static RoomMessage of(String frame) {
        String type = "";
        long seq = -1;
        String room = null;
        String from = null;
        String user = null;
        long ts = 0;
        try (JsonParser parser = JSON.createParser(frame)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("frame is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "type" -> type = value == JsonToken.VALUE_STRING ? parser.getText() : type;
                    case "seq" -> seq = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : -1;
                    case "room" -> room = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "from" -> from = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "user" -> user = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "ts" -> ts = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : 0;
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("frame is not JSON", e);
        }
        return new RoomMessage(type, seq, room, from != null ? from : user, ts, frame);
    }

    public boolean isEphemeral() {
        return seq < 0;
    }
}
