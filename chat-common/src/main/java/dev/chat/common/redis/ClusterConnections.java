package dev.chat.common.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Redis Cluster client that sends every command on a few long-lived cluster connections (each holds one
 * socket per master; commands are pipelined on them), round robin. Vert.x's cluster client instead takes a
 * pooled connection to every master for each command: under a burst of concurrent commands (a connect storm's
 * joins) its pools deadlock, each command holding some masters' connections while it waits for the others'.
 * Several connections, not one, so that a WAIT (which blocks its connection until a replica confirms) holds up
 * only a share of the traffic. A connection that fails or closes is replaced at the next command; its commands in
 * flight fail (the callers answer unavailable).
 */
final class ClusterConnections implements Redis {

    private final Redis client;
    private final Future<RedisConnection>[] connections;
    private final AtomicInteger next = new AtomicInteger();

    @SuppressWarnings("unchecked")
    ClusterConnections(Redis client, int size) {
        this.client = client;
        this.connections = new Future[size];
    }

    @Override
    public Future<RedisConnection> connect() {
        return client.connect();
    }

    @Override
    public void close() {
        for (int i = 0; i < connections.length; i++) {
            Future<RedisConnection> open = take(i);
            if (open != null) {
                open.onSuccess(RedisConnection::close);
            }
        }
    }

    @Override
    public Future<Response> send(Request command) {
        return connection().compose(conn -> conn.send(command));
    }

    @Override
    public Future<List<Response>> batch(List<Request> commands) {
        return connection().compose(conn -> conn.batch(commands));
    }

    private Future<RedisConnection> connection() {
        int i = Math.floorMod(next.getAndIncrement(), connections.length);
        synchronized (this) {
            Future<RedisConnection> current = connections[i];
            if (current != null && !current.failed()) {
                return current;
            }
            Future<RedisConnection> opened = client.connect();
            connections[i] = opened;
            opened.onSuccess(conn -> {
                conn.exceptionHandler(e -> drop(i, opened));
                conn.endHandler(v -> drop(i, opened));
            });
            return opened;
        }
    }

    private void drop(int i, Future<RedisConnection> failed) {
        synchronized (this) {
            if (connections[i] != failed) {
                return;
            }
            connections[i] = null;
        }
        failed.onSuccess(RedisConnection::close);
    }

    private synchronized Future<RedisConnection> take(int i) {
        Future<RedisConnection> open = connections[i];
        connections[i] = null;
        return open;
    }
}
