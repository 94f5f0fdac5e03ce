package dev.chat.gateway.room;


import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The delivery side's reads of the recent log and room heads (gap fills, replay chunks, position checks)
 * over connections of their own, so they never compete with sends for the shared pool; heads are read
 * in pipelined batches, one round trip per batch of rooms.
 */
@ApplicationScoped
public class RoomLogReader {

    private static final int BATCH = 500;

    /** Reads wait for one of these connections; a read always gets one eventually (the queue is deep). */
    private static final int CONNECTIONS = 2;
    private static final int WAITING = 100_000;

    private final Redis client;
    private final Redis own;
    /** On a Redis Cluster a pipeline may not span masters: each read goes alone (still pipelined per connection). */
    private final boolean cluster;

    public RoomLogReader(Vertx vertx, RedisDeployment deployment, ReactiveRedisDataSource shared) {
        this.cluster = deployment.cluster();
        // On a Redis Cluster the reads share the services' long-lived cluster connections (RedisDataSourceProducer):
        // a Vert.x cluster client of our own lost every node after a slot migration ("Client is closed").
        this.own = cluster ? null : Redis.createClient(vertx, deployment.options("gateway-log-reader")
                .setMaxPoolSize(CONNECTIONS).setMaxPoolWaiting(WAITING).setMaxWaitingHandlers(WAITING));
        this.client = cluster ? shared.getRedis().getDelegate() : own;
    }

    void stop(@Observes ShutdownEvent event) {
        if (own != null) {
            own.close();
        }
    }

    /** At most {@code count} messages with {@code from <= seq <= to}, in seq order; fewer or none if the log was trimmed. */
    public Future<List<RoomMessage>> range(String room, long from, long to, int count) {
        return client.send(Request.cmd(Command.XRANGE).arg(RoomKeys.log(room)).arg(from).arg(to).arg("COUNT").arg(count))
                .map(RoomLogReader::messages);
    }

    /** At most {@code count} of the room's latest messages, newest first. */
    public Future<List<RoomMessage>> latest(String room, int count) {
        return client.send(Request.cmd(Command.XREVRANGE).arg(RoomKeys.log(room)).arg("+").arg("-").arg("COUNT").arg(count))
                .map(RoomLogReader::messages);
    }

    /** The room's current epoch, or null if it has none. */
    public Future<String> epoch(String room) {
        return client.send(Request.cmd(Command.GET).arg(RoomKeys.epoch(room))).map(reply -> reply == null ? null : reply.toString());
    }

    /** The latest seq of each room (0 for none), in the order given. */
    public Future<List<Long>> heads(List<String> rooms) {
        return batched(rooms, room -> Request.cmd(Command.GET).arg(RoomKeys.seq(room)), reply -> reply == null ? 0L : reply.toLong());
    }

    /** Each user's direct-message rooms with a message at or after the user's time (Redis clock, ms). */
    public Future<Map<String, List<String>>> directRooms(Map<String, Long> sinceByUser) {
        List<Map.Entry<String, Long>> users = new ArrayList<>(sinceByUser.entrySet());
        return batched(users, user -> Request.cmd(Command.ZRANGEBYSCORE).arg(RoomKeys.directRooms(user.getKey())).arg(user.getValue())
                .arg("+inf"), reply -> {
                    List<String> rooms = new ArrayList<>(reply == null ? 0 : reply.size());
                    if (reply != null) {
                        reply.forEach(room -> rooms.add(room.toString()));
                    }
                    return rooms;
                }).map(rooms -> {
                    Map<String, List<String>> byUser = new HashMap<>();
                    for (int i = 0; i < users.size(); i++) {
                        byUser.put(users.get(i).getKey(), rooms.get(i));
                    }
                    return byUser;
                });
    }

    /**
     * One command per key, in pipelines of at most {@value #BATCH} sent one after the other, so reading for every
     * room or user holds one connection at a time; the answers come back in the order of the keys.
     */
    private <K, T> Future<List<T>> batched(List<K> keys, Function<K, Request> command, Function<Response, T> answer) {
        List<T> answers = new ArrayList<>(keys.size());
        Future<Void> chain = Future.succeededFuture();
        for (int start = 0; start < keys.size(); start += BATCH) {
            List<K> batch = keys.subList(start, Math.min(keys.size(), start + BATCH));
            chain = chain.compose(v -> {
                List<Request> requests = new ArrayList<>(batch.size());
                for (K key : batch) {
                    requests.add(command.apply(key));
                }
                return send(requests).map(replies -> {
                    for (Response reply : replies) {
                        answers.add(answer.apply(reply));
                    }
                    return null;
                });
            });
        }
        return chain.map(v -> answers);
    }

    private Future<List<Response>> send(List<Request> requests) {
        if (!cluster) {
            return client.batch(requests);
        }
        List<Future<Response>> replies = new ArrayList<>(requests.size());
        for (Request request : requests) {
            replies.add(client.send(request));
        }
        return Future.all(replies).map(all -> {
            List<Response> inOrder = new ArrayList<>(replies.size());
            for (Future<Response> reply : replies) {
                inOrder.add(reply.result());
            }
            return inOrder;
        });
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
