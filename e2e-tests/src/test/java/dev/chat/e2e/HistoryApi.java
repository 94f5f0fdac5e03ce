package dev.chat.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/** Reads a room from the history service's replay API the way a client does: keyset pages with {@code after}. */
final class HistoryApi {

    private HistoryApi() {
    }

    /** Every stored message of the room with {@code seq > after}, ascending, over as many pages as it takes; empty for an unknown room. */
    static List<JsonNode> after(ServiceProcess history, String room, long after, int pageSize, String user) {
        List<JsonNode> all = new ArrayList<>();
        long position = after;
        while (true) {
            HttpResponse<String> response = history.get("/rooms/" + room + "/messages?after=" + position + "&limit=" + pageSize, user);
            if (response.statusCode() == 404) {
                return all;
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("history answered " + response.statusCode() + ": " + response.body());
            }
            JsonNode page = json(response.body());
            for (JsonNode message : page.path("messages")) {
                long seq = message.path("seq").asLong();
                if (seq <= position) {
                    throw new AssertionError("replay page not ascending after " + position + ": " + response.body());
                }
                position = seq;
                all.add(message);
            }
            if (!page.path("hasMore").asBoolean() || page.path("messages").isEmpty()) {
                return all;
            }
        }
    }

    /** Every stored message of the room, ascending. */
    static List<JsonNode> all(ServiceProcess history, String room, String user) {
        return after(history, room, 0, 500, user);
    }

    /** The seqs of the stored messages of the room, ascending. */
    static List<Long> seqs(ServiceProcess history, String room, String user) {
        List<Long> seqs = new ArrayList<>();
        for (JsonNode message : all(history, room, user)) {
            seqs.add(message.path("seq").asLong());
        }
        return seqs;
    }

    static JsonNode json(String body) {
        try {
            return WsClient.JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
