package dev.chat.gateway.publish;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * Encodes a {@code message} frame up to, not including, the fields only Redis knows ({@code seq},
 * {@code ts}): the publish script appends those and the closing brace, so it never runs a JSON
 * encoder itself. The result is the same JSON object the protocol describes (field order aside).
 */
final class MessagePayload {

    private MessagePayload() {
    }

    /**
     * {@code {"type":"message","room":..,"from":..,"text":..[,"cid":..][,"traceparent":..]}} without its
     * closing brace; the traceparent (tracing only, empty when off) is an optional field clients ignore.
     */
    static String open(String room, String from, String text, String cid, String traceparent) {
        StringBuilder json = new StringBuilder(64 + room.length() + from.length() + text.length());
        json.append("{\"type\":\"message\",\"room\":");
        quote(json, room);
        json.append(",\"from\":");
        quote(json, from);
        json.append(",\"text\":");
        quote(json, text);
        if (cid != null) {
            json.append(",\"cid\":");
            quote(json, cid);
        }
        if (!traceparent.isEmpty()) {
            json.append(",\"traceparent\":");
            quote(json, traceparent);
        }
        return json.toString();
    }

    private static void quote(StringBuilder json, String value) {
        json.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, json);
        json.append('"');
    }
}
