package dev.chat.gateway.presence;

import dev.chat.common.redis.LuaScript;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The online-status writes of connects and closes, pipelined: one write goes out at once, and what arrives while
 * a pipeline is in flight goes out together in the next (up to {@code batchSize}), in the order it arrived. A
 * reconnect storm's thousands of connects and closes then cost the pool and Redis a round trip per pipeline instead
 * of one per connection, and a user's online write always reaches Redis before a later offline write of theirs.
 *
 * <p>Bound: each connection waits here with at most one online and one offline write, so the queue is bounded by
 * the gateway's connection limit. A pipeline that fails (or takes longer than {@link #TIMEOUT}) fails its writes,
 * which their callers already handle as they did a single command's failure; the next pipeline goes on.
 */
final class OnlineWrites {

    /** Past this a pipeline counts as failed and the next one goes (a connect's welcome waits at most about as long). */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ReactiveRedisDataSource redis;
    private final int batchSize;
    private final LongAdder pipelines = new LongAdder();
    // Guarded by `this`.
    private final Queue<Write> waiting = new ArrayDeque<>();
    private boolean sending;

    OnlineWrites(ReactiveRedisDataSource redis, int batchSize) {
        this.redis = redis;
        this.batchSize = Math.max(1, batchSize);
    }

    /** Runs {@code script} after every write queued before it; completes with its reply. */
    Future<Response> run(LuaScript script, List<String> keys, List<String> args) {
        Write write = new Write(script, script.call(keys, args), Promise.promise());
        boolean send;
        synchronized (this) {
            waiting.add(write);
            send = !sending;
            sending = true;
        }
        if (send) {
            sendNext();
        }
        return write.reply.future();
    }

    /** Pipelines sent so far (tests and diagnostics). */
    long pipelines() {
        return pipelines.sum();
    }

    private void sendNext() {
        List<Write> batch = new ArrayList<>();
        synchronized (this) {
            Write write;
            while (batch.size() < batchSize && (write = waiting.poll()) != null) {
                batch.add(write);
            }
            if (batch.isEmpty()) {
                sending = false;
                return;
            }
        }
        pipelines.increment();
        List<Request> requests = batch.stream().map(Write::request).toList();
        redis.getRedis().batch(requests)
                .onFailure(LuaScript::isNoScript).recoverWithUni(() -> reload(batch).chain(() -> redis.getRedis().batch(requests)))
                .ifNoItem().after(TIMEOUT).fail()
                .subscribe().with(replies -> {
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).reply.tryComplete(replies.get(i));
                    }
                    sendNext();
                }, failure -> {
                    batch.forEach(write -> write.reply.tryFail(failure));
                    sendNext();
                });
    }

    /** After a Redis restart (NOSCRIPT): the pipeline's scripts go back into Redis's cache before it is sent again. */
    private Uni<Void> reload(List<Write> batch) {
        Set<LuaScript> scripts = new LinkedHashSet<>();
        batch.forEach(write -> scripts.add(write.script));
        return Uni.join().all(scripts.stream().map(script -> script.load(redis)).toList()).andFailFast().replaceWithVoid();
    }

    private record Write(LuaScript script, Request request, Promise<Response> reply) {
    }
}
