package dev.chat.gateway.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A frame as Redis carries it to every gateway: read once per gateway for routing (room, seq, user)
 * and written as is, already encoded, to every local recipient. Frames without a seq (typing,
 * presence events) are ephemeral: delivered live, never stored, never replayed.
 */
public record RoomMessage(String type, long seq, String room, String user, long ts, String frame) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static RoomMessage of(String frame) {
        try {
            JsonNode node = MAPPER.readTree(frame);
            JsonNode seq = node.get("seq");
            JsonNode user = node.has("from") ? node.get("from") : node.get("user");
            return new RoomMessage(node.path("type").asText(""), seq != null && seq.canConvertToLong() ? seq.asLong() : -1,
                    node.path("room").asText(null), user == null ? null : user.asText(), node.path("ts").asLong(0), frame);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("frame is not JSON", e);
        }
    }

    public boolean isEphemeral() {
        return seq < 0;
    }
}
