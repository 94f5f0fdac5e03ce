package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.redis.ScriptPipeline;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Script calls pipelined against the real Redis, with the online-status scripts of connects and closes: run in the
 * order they were made, many to a pipeline while one is in flight, never more than the batch size in one, and a
 * failed or forgotten script costs no call made after it.
 */
@QuarkusTest
class ScriptPipelineTest {

    static final LuaScript ONLINE = LuaScript.fromResource("scripts/presence-refresh.lua");
    static final LuaScript OFFLINE = LuaScript.fromResource("scripts/user-offline.lua");
    static final String NODE = "node-test";

    @Inject
    ReactiveRedisDataSource redis;

    @Inject
    RedisDataSource blocking;

    @Inject
    Vertx vertx;

    final String run = UUID.randomUUID().toString().substring(0, 8);
    final String events = "test:events:" + run;

    Future<Response> online(ScriptPipeline writes, String user) {
        long now = System.currentTimeMillis();
        return writes.run(ONLINE, List.of(RoomKeys.online(user)), List.of(Long.toString(now + 30_000), "60000", NODE));
    }

    Future<Response> offline(ScriptPipeline writes, String user, String now) {
        return writes.run(OFFLINE, List.of(RoomKeys.online(user), RoomKeys.lastSeen(user), events), List.of(user, NODE, now, "1000", "1"));
    }

    static void awaitAll(List<Future<Response>> replies) {
        await().atMost(Duration.ofSeconds(10)).until(() -> replies.stream().allMatch(Future::isComplete));
    }

    long onlineEntries(String user) {
        return blocking.execute("ZCOUNT", RoomKeys.online(user), Long.toString(System.currentTimeMillis()), "+inf").toLong();
    }

    @Test
    void writesMadeWhileAPipelineIsInFlightGoOutTogetherInTheirOrderAtMostBatchSizeAtATime() {
        ScriptPipeline writes = new ScriptPipeline(redis, 8);
        List<Future<Response>> replies = new ArrayList<>();
        int users = 100;
        for (int i = 0; i < users; i++) {
            String user = "ow-" + run + "-" + i;
            replies.add(online(writes, user));
            replies.add(offline(writes, user, Long.toString(System.currentTimeMillis())));
        }
        awaitAll(replies);
        assertTrue(replies.stream().allMatch(Future::succeeded), "every write succeeded");
        for (int i = 0; i < users; i++) {
            // Had an offline write overtaken its user's online write, the user would still be online.
            assertEquals(0, onlineEntries("ow-" + run + "-" + i), "user " + i + " is offline: the online write ran first");
            assertEquals(1, replies.get(2 * i + 1).result().toInteger(), "the offline write found the user gone from every gateway");
        }
        assertEquals(users, blocking.execute("XLEN", events).toLong(), "one user.offline event per user");
        long pipelines = writes.pipelines();
        assertTrue(pipelines < 2 * users, "writes shared pipelines: " + pipelines + " for " + 2 * users);
        assertTrue(pipelines >= 2 * users / 8, "no pipeline held more than 8 writes: " + pipelines);
    }

    @Test
    void everyCallCompletesOnTheEventLoopThatMadeItWhateverPipelineCarriedIt() {
        ScriptPipeline writes = new ScriptPipeline(redis, 8);
        List<ContextInternal> loops = List.of(((VertxInternal) vertx).createEventLoopContext(),
                ((VertxInternal) vertx).createEventLoopContext());
        List<Future<Response>> replies = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> wrongThread = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 100; i++) {
            String user = "ow-" + run + "-loop-" + i;
            ContextInternal loop = loops.get(i % 2);
            loop.runOnContext(v -> {
                Future<Response> reply = online(writes, user);
                replies.add(reply);
                reply.onComplete(done -> {
                    if (Vertx.currentContext() != loop) {
                        wrongThread.add(user + " on " + Thread.currentThread().getName());
                    }
                });
            });
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> replies.size() == 100 && replies.stream().allMatch(Future::isComplete));
        assertTrue(replies.stream().allMatch(Future::succeeded), "every call succeeded");
        assertEquals(List.of(), wrongThread, "each reply was handled on the loop that made the call");
    }

    @Test
    void aPipelineThatFailsFailsOnlyItsOwnWritesAndTheNextOneGoesOut() {
        ScriptPipeline writes = new ScriptPipeline(redis, 8);
        String user = "ow-" + run + "-failing";
        // Alone in the first pipeline (nothing is in flight yet): a time Redis cannot read fails the script.
        Future<Response> broken = offline(writes, user, "not-a-time");
        List<Future<Response>> after = List.of(online(writes, user), online(writes, user + "-2"));
        List<Future<Response>> all = new ArrayList<>(after);
        all.add(broken);
        awaitAll(all);
        assertTrue(broken.failed(), "the broken write failed");
        assertTrue(after.stream().allMatch(Future::succeeded), "the writes queued behind it went out and succeeded");
        assertEquals(1, onlineEntries(user));
    }

    @Test
    void aCallerWhoseReplyHandlerThrowsCostsNoCallMadeAfterIt() {
        ScriptPipeline writes = new ScriptPipeline(redis, 8);
        String user = "ow-" + run + "-throwing";
        // Redis holds its replies back a moment, so that every handler below is in place before a reply comes.
        blocking.execute("CLIENT", "PAUSE", "300", "ALL");
        Future<Response> inFlight = online(writes, user + "-1");
        // Made off any event loop, so its reply's handlers run on the thread that read the pipeline's replies.
        Future<Response> throwing = online(writes, user);
        throwing.onSuccess(reply -> {
            throw new IllegalStateException("a caller's own fault");
        });
        // Queued behind the first call with the throwing one: the same pipeline's replies.
        List<Future<Response>> sameCall = List.of(online(writes, user + "-2"), online(writes, user + "-3"));
        List<Future<Response>> all = new ArrayList<>(sameCall);
        all.add(inFlight);
        all.add(throwing);
        awaitAll(all);
        assertTrue(throwing.succeeded(), "the call succeeded; only its handler failed");
        assertTrue(sameCall.stream().allMatch(Future::succeeded), "the calls answered after it got their replies");
        assertEquals(2, writes.pipelines(), "the throwing call shared the second pipeline with the two after it");
        // And the pipeline goes on: a call made afterwards goes out.
        Future<Response> later = online(writes, user + "-4");
        awaitAll(List.of(later));
        assertTrue(later.succeeded());
        assertEquals(1, onlineEntries(user + "-4"));
    }

    @Test
    void afterRedisForgetsItsScriptsAPipelineLoadsThemAndGoesOut() {
        ScriptPipeline writes = new ScriptPipeline(redis, 8);
        blocking.execute("SCRIPT", "FLUSH");
        String user = "ow-" + run + "-flushed";
        List<Future<Response>> replies = List.of(online(writes, user), offline(writes, user, Long.toString(System.currentTimeMillis())));
        awaitAll(replies);
        assertTrue(replies.stream().allMatch(Future::succeeded), "both writes succeeded after the scripts were loaded again");
        assertEquals(0, onlineEntries(user));
    }
}
