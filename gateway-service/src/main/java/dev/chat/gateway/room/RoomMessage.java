package dev.chat.gateway.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A message as Redis carries it: its seq, for ordering, and the encoded {@code message} frame, written as is to every member. */
public record RoomMessage(long seq, String frame) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Reads the seq out of a frame produced by the publish script. */
    public static RoomMessage of(String frame) {
        try {
            JsonNode seq = MAPPER.readTree(frame).get("seq");
            if (seq == null || !seq.canConvertToLong()) {
                throw new IllegalArgumentException("message without seq");
            }
            return new RoomMessage(seq.asLong(), frame);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("message is not JSON", e);
        }
    }
}
