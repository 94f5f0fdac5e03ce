package dev.chat.gateway.publish;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Reads a room's recent log (the Redis Stream the publish script appends to) and its counter. */
@ApplicationScoped
public class RecentLog {

    private final ReactiveRedisDataSource redis;

    public RecentLog(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    /** The encoded message frames with {@code from <= seq <= to}, in seq order; fewer if the log was trimmed. */
    public Uni<List<String>> range(String room, long from, long to) {
        return redis.execute("XRANGE", RoomKeys.log(room), Long.toString(from), Long.toString(to))
                .map(RecentLog::payloads);
    }

    /** The room's latest seq, 0 if it has none. */
    public Uni<Long> head(String room) {
        return redis.execute("GET", RoomKeys.seq(room)).map(reply -> reply == null ? 0L : reply.toLong());
    }

    /**
     * The latest seq of each room (0 if none), read in one pipeline on one pooled connection: for
     * periodic checks of every local room, which must not take a pooled connection per room.
     */
    public Uni<List<Long>> heads(List<String> rooms) {
        if (rooms.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Request> requests = new ArrayList<>(rooms.size());
        for (String room : rooms) {
            requests.add(Request.cmd(Command.GET).arg(RoomKeys.seq(room)));
        }
        return redis.getRedis().batch(requests).map(replies -> {
            List<Long> heads = new ArrayList<>(replies.size());
            for (Response reply : replies) {
                heads.add(reply == null ? 0L : reply.toLong());
            }
            return heads;
        });
    }

    private static List<String> payloads(Response reply) {
        List<String> frames = new ArrayList<>(reply.size());
        for (Response entry : reply) {
            Response fields = entry.get(1);
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("m".equals(fields.get(i).toString())) {
                    frames.add(fields.get(i + 1).toString());
                }
            }
        }
        return frames;
    }
}
