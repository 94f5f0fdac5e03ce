package dev.chat.gateway;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.core.json.JsonObject;

/** Messages put into a room's counter and recent log the way the publish script accepts them, without publishing. */
final class RoomLogs {

    private RoomLogs() {
    }

    /** Accepts a message from "ghost" into the room (its next seq) but never publishes it; returns its seq. */
    static long acceptWithoutPublishing(RedisDataSource redis, String room, String text) {
        long seq = redis.execute("INCR", RoomKeys.seq(room)).toLong();
        String now = Long.toString(System.currentTimeMillis());
        String payload = new JsonObject().put("type", "message").put("room", room).put("seq", seq)
                .put("from", "ghost").put("text", text).put("ts", Long.parseLong(now)).encode();
        redis.execute("XADD", RoomKeys.log(room), seq + "-0", "m", payload, "t", now);
        return seq;
    }
}
