package dev.chat.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Plays the gateway's part against the real Redis: appends messages to a room's recent log and
 * publishes them on the room channel, with the same keys and payload as its publish script, and
 * appends joins and read positions to the activity stream with the same command as its ActivityLog.
 */
public final class Gateway {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The gateway's default {@code chat.activity-stream}. */
    public static final String ACTIVITY = "chat:activity";
    /** The gateway's XADD, for several entries at once: Lua runs them atomically, so one XREADGROUP gets them together. */
    static final String XADD_ALL = "for i = 1, #ARGV, 5 do redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*', "
            + "'type', ARGV[i], 'user', ARGV[i + 1], 'room', ARGV[i + 2], 'seq', ARGV[i + 3], 'ts', ARGV[i + 4]) end return #ARGV / 5";

    private final RedisDataSource redis;

    public Gateway(RedisDataSource redis) {
        this.redis = redis;
    }

    /** A room name no earlier run used (the test database and Redis persist between runs). */
    public static String uniqueRoom(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A user id no earlier run used. */
    public static String uniqueUser(String prefix) {
        return uniqueRoom(prefix);
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

    /** The direct-message room of two users, {@code dm:<lower>:<higher>}. */
    public static String dm(String a, String b) {
        return a.compareTo(b) < 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
    }

    public static long ts(long seq) {
        return 1_763_880_000_000L + seq;
    }

    /** Logs and publishes a message, like an accepted send. */
    public void publish(String room, long seq, String from, String text) {
        String payload = log(room, seq, from, text);
        redis.pubsub(String.class).publish(RoomKeys.channel(room), payload);
    }

    /** Logs and publishes each message in one script: Redis runs it atomically, so history receives them together. */
    private static final String PUBLISH_ALL = "for i = 1, #ARGV, 3 do redis.call('XADD', KEYS[1], ARGV[i] .. '-0', 'm', ARGV[i + 1], "
            + "'t', ARGV[i + 2]) redis.call('SET', KEYS[2], ARGV[i]) redis.call('PUBLISH', KEYS[3], ARGV[i + 1]) end return #ARGV / 3";

    /** Logs and publishes seqs {@code from..to} at once, like a burst of accepted sends that arrives in one read. */
    public void publishBurst(String room, long from, long to, String sender) {
        redis.execute("EVAL", burstArguments(room, from, to, sender).toArray(String[]::new));
    }

    /** The arguments of {@code EVAL} for {@link #publishBurst}, for a test with a Redis client of its own. */
    static List<String> burstArguments(String room, long from, long to, String sender) {
        List<String> args = new ArrayList<>(List.of(PUBLISH_ALL, "3", RoomKeys.log(room), RoomKeys.seq(room), RoomKeys.channel(room)));
        for (long seq = from; seq <= to; seq++) {
            args.addAll(List.of(Long.toString(seq), payload(room, seq, sender, "m" + seq, ts(seq), "c" + seq), Long.toString(ts(seq))));
        }
        return args;
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

    /** A connection's first join of a room, as the gateway records it; returns the entry id. */
    public String joined(String user, String room) {
        return activity("join", user, room, 0);
    }

    /** A {@code read} frame: everything up to {@code seq} is read; returns the entry id. */
    public String read(String user, String room, long seq) {
        return activity("read", user, room, seq);
    }

    /** {@code read} frames from several devices at the same moment, in this order. */
    public void readTogether(String user, String room, long... seqs) {
        List<String> args = new ArrayList<>(List.of(XADD_ALL, "1", ACTIVITY));
        for (long seq : seqs) {
            args.addAll(activityEntry("read", user, room, seq));
        }
        redis.execute("EVAL", args.toArray(String[]::new));
    }

    /** One entry's arguments for {@link #XADD_ALL}: type, user, room, seq and the time of the frame. */
    static List<String> activityEntry(String type, String user, String room, long seq) {
        return List.of(type, user, room, Long.toString(seq), Long.toString(System.currentTimeMillis()));
    }

    private String activity(String type, String user, String room, long seq) {
        return redis.execute("XADD", ACTIVITY, "MAXLEN", "~", "1000000", "*", "type", type, "user", user, "room", room,
                "seq", Long.toString(seq), "ts", Long.toString(System.currentTimeMillis())).toString();
    }

    public String get(String key) {
        var reply = redis.execute("GET", key);
        return reply == null ? null : reply.toString();
    }
}
