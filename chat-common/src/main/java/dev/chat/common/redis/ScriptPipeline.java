package dev.chat.common.redis;

import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
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
 * Script calls that each connect, join or close makes, pipelined: a call goes out at once, and what arrives while a
 * pipeline is in flight goes out together in the next (up to {@code batchSize} calls), in the order the calls were
 * made. A reconnect storm's thousands of calls then cost the pool and Redis a round trip per pipeline instead of
 * one per call, and calls run in Redis in the order they were made (one pipeline in flight at a time).
 *
 * <p>Bound: the callers' own limits (each connection waits here with at most one call of each kind), not a second
 * one here. A pipeline that fails, or takes longer than {@link #TIMEOUT}, fails its calls as a single command's
 * failure would; the next pipeline goes on. After a Redis restart (NOSCRIPT) the pipeline's scripts are loaded and it
 * is sent once more: a call that had run before the error runs twice, so only scripts that tolerate that belong here.
 * On a Redis Cluster, whose pipelines must stay within one master, each call goes on its own.
 */
public final class ScriptPipeline {

    /** Past this a pipeline counts as failed and the next one goes (a connect's welcome waits at most about as long). */
    public static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ReactiveRedisDataSource redis;
    private final int batchSize;
    private final LongAdder pipelines = new LongAdder();
    // Guarded by `this`.
    private final Queue<Call> waiting = new ArrayDeque<>();
    private boolean sending;

    public ScriptPipeline(ReactiveRedisDataSource redis, int batchSize) {
        this.redis = redis;
        this.batchSize = Math.max(1, batchSize);
    }

    /**
     * Runs {@code script} after every call made before it; completes with its reply on the caller's Vert.x context (its
     * event loop), as a command of its own would: a pipeline completes on whichever thread read its replies.
     */
    public Future<Response> run(LuaScript script, List<String> keys, List<String> args) {
        ContextInternal caller = (ContextInternal) Vertx.currentContext();
        if (redis.getRedis().getDelegate() instanceof ClusterConnections) {
            var reply = script.run(redis, keys, args).subscribeAsCompletionStage();
            return caller != null ? Future.fromCompletionStage(reply, caller) : Future.fromCompletionStage(reply);
        }
        Call call = new Call(script, script.call(keys, args), caller != null ? caller.promise() : Promise.promise());
        boolean send;
        synchronized (this) {
            waiting.add(call);
            send = !sending;
            sending = true;
        }
        if (send) {
            sendNext();
        }
        return call.reply.future();
    }

    /** Pipelines sent so far (tests and diagnostics). */
    public long pipelines() {
        return pipelines.sum();
    }

    private void sendNext() {
        List<Call> batch = new ArrayList<>();
        synchronized (this) {
            Call call;
            while (batch.size() < batchSize && (call = waiting.poll()) != null) {
                batch.add(call);
            }
            if (batch.isEmpty()) {
                sending = false;
                return;
            }
        }
        pipelines.increment();
        List<Request> requests = batch.stream().map(Call::request).toList();
        redis.getRedis().batch(requests)
                .onFailure(LuaScript::isNoScript).recoverWithUni(() -> reload(batch).chain(() -> redis.getRedis().batch(requests)))
                .ifNoItem().after(TIMEOUT).fail()
                .subscribe().with(replies -> {
                    for (int i = 0; i < batch.size(); i++) {
                        settle(batch.get(i), replies.get(i), null);
                    }
                    sendNext();
                }, failure -> {
                    batch.forEach(call -> settle(call, null, failure));
                    sendNext();
                });
    }

    /**
     * Hands a call its reply. A caller on the event loop that read the replies, or on none, runs its handlers inside
     * this call: one that throws must not cost the calls after it their replies, nor stop the next pipeline (every
     * later connect, join and close would wait for good).
     */
    private static void settle(Call call, Response reply, Throwable failure) {
        try {
            if (failure == null) {
                call.reply.tryComplete(reply);
            } else {
                call.reply.tryFail(failure);
            }
        } catch (Throwable fault) {
            Log.error("A handler of a pipelined script call's reply failed", fault);
        }
    }

    private Uni<Void> reload(List<Call> batch) {
        Set<LuaScript> scripts = new LinkedHashSet<>();
        batch.forEach(call -> scripts.add(call.script));
        return Uni.join().all(scripts.stream().map(script -> script.load(redis)).toList()).andFailFast().replaceWithVoid();
    }

    private record Call(LuaScript script, Request request, Promise<Response> reply) {
    }
}
