package dev.chat.gateway.room;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The delivery side's reads of the recent log and room heads (gap fills, replay chunks, position checks)
 * over connections of their own, so they never compete with sends for the shared pool; heads are read
 * in pipelined batches, one round trip per batch of rooms.
 */
@ApplicationScoped
public class RoomLogReader {

    private static final int HEAD_BATCH = 500;

    /** Reads wait for one of these connections; a read always gets one eventually (the queue is deep). */
    private static final int CONNECTIONS = 2;
    private static final int WAITING = 100_000;

    private final Redis client;

    public RoomLogReader(Vertx vertx, @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        this.client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisHosts.split(",")[0].trim())
                .setMaxPoolSize(CONNECTIONS).setMaxPoolWaiting(WAITING).setMaxWaitingHandlers(WAITING));
    }

    void stop(@Observes ShutdownEvent event) {
        client.close();
    }

    /** At most {@code count} messages with {@code from <= seq <= to}, in seq order; fewer or none if the log was trimmed. */
    public Future<List<RoomMessage>> range(String room, long from, long to, int count) {
        return client.send(Request.cmd(Command.XRANGE).arg(RoomKeys.log(room)).arg(from).arg(to).arg("COUNT").arg(count))
                .map(RoomLogReader::messages);
    }

    /**
     * The latest seq of each room (0 for none), in the order given: pipelines of at most {@value #HEAD_BATCH}
     * GETs, one after the other, so reading the heads of every room holds one connection at a time.
     */
    public Future<List<Long>> heads(List<String> rooms) {
        List<Long> heads = new ArrayList<>(rooms.size());
        Future<Void> chain = Future.succeededFuture();
        for (int start = 0; start < rooms.size(); start += HEAD_BATCH) {
            List<String> batch = rooms.subList(start, Math.min(rooms.size(), start + HEAD_BATCH));
            chain = chain.compose(v -> {
                List<Request> gets = new ArrayList<>(batch.size());
                for (String room : batch) {
                    gets.add(Request.cmd(Command.GET).arg(RoomKeys.seq(room)));
                }
                return client.batch(gets).map(replies -> {
                    for (Response reply : replies) {
                        heads.add(reply == null ? 0L : reply.toLong());
                    }
                    return null;
                });
            });
        }
        return chain.map(v -> heads);
    }

    private static List<RoomMessage> messages(Response reply) {
        List<RoomMessage> messages = new ArrayList<>(reply == null ? 0 : reply.size());
        if (reply == null) {
            return messages;
        }
        for (Response entry : reply) {
            Response fields = entry.get(1);
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("m".equals(fields.get(i).toString())) {
                    messages.add(RoomMessage.of(fields.get(i + 1).toString()));
                }
            }
        }
        return messages;
    }
}
