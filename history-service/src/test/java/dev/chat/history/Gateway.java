package dev.chat.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.redis.datasource.RedisDataSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Plays the gateway's part against the real Redis: appends messages to a room's recent log and
 * publishes them on the room channel, with the same keys and payload as its publish script.
 */
public final class Gateway {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisDataSource redis;

    public Gateway(RedisDataSource redis) {
        this.redis = redis;
    }

    /** A room name no earlier run used (the test database and Redis persist between runs). */
    public static String uniqueRoom(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static String payload(String room, long seq, String from, String text, long ts, String cid) {
        Map<String, Object> frame = new LinkedHashMap<>();
        frame.put("type", "message");
        frame.put("room", room);
        frame.put("seq", seq);
        frame.put("from", from);
        frame.put("text", text);
        frame.put("ts", ts);
        if (cid != null) {
            frame.put("cid", cid);
        }
        try {
            return JSON.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static long ts(long seq) {
        return 1_763_880_000_000L + seq;
    }

    /** Logs and publishes a message, like an accepted send. */
    public void publish(String room, long seq, String from, String text) {
        String payload = log(room, seq, from, text);
        redis.pubsub(String.class).publish(RoomKeys.channel(room), payload);
    }

    /** Only logs a message: as if it was published while history was not listening. */
    public String log(String room, long seq, String from, String text) {
        String payload = payload(room, seq, from, text, ts(seq), "c" + seq);
        redis.execute("XADD", RoomKeys.log(room), seq + "-0", "m", payload, "t", Long.toString(ts(seq)));
        redis.execute("SET", RoomKeys.seq(room), Long.toString(seq));
        return payload;
    }

    /** Publishes any payload on the room channel. */
    public void publishRaw(String room, String payload) {
        redis.pubsub(String.class).publish(RoomKeys.channel(room), payload);
    }

    public String get(String key) {
        var reply = redis.execute("GET", key);
        return reply == null ? null : reply.toString();
    }
}
