package dev.chat.gateway.publish;

import dev.chat.common.redis.ChannelSubscriber;
import dev.chat.common.redis.LuaScript;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Response;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gathers sends into publish script calls on the subscriber's connection: the sends that arrive within
 * {@code chat.subscriber.batch-linger} of a call's first one go in that call, up to {@code batch-max}, a full call
 * at once. Redis spends more on entering and leaving a script than on a message's commands, so a call of several
 * messages costs each far less (Kafka's linger, for the same reason). Only a busy gateway waits: a send that comes
 * when no call went within the linger goes at once, so light traffic gets no added latency. Confined to the subscriber's context: sends
 * keep the order they arrived in, within a call and from one call to the next.
 *
 * <p>A call the connection refuses, or that Redis no longer knows (NOSCRIPT after a restart), runs on the pool.
 * A call whose connection dropped before its reply may have run: only its sends with a cid run again (their second
 * run answers with the first one's seq); the others fail, and their clients are told to resend. A call that cannot be made
 * at all (a fault of the gateway's own) fails its sends the same way.
 */
// Created at start, so settings out of range stop the gateway there, not at its first send.
@io.quarkus.runtime.Startup
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
class SendBatches {

    private final RoomSubscriber subscriber;
    private final PublishScript script;
    private final GatewayMetrics metrics;
    private final Vertx vertx;
    private final Duration timeout;
    private final int max;
    private final long lingerMs;

    // Confined to the subscriber's context.
    private List<Waiting> open = new ArrayList<>();
    private long lingerTimer = -1;
    private long tags;
    /** When the last call went, in {@link System#nanoTime()}. */
    private long lastCall;

    SendBatches(RoomSubscriber subscriber, PublishScript script, GatewayMetrics metrics, Vertx vertx, GatewayConfig config) {
        this.subscriber = subscriber;
        this.script = script;
        this.metrics = metrics;
        this.vertx = vertx;
        this.timeout = config.subscriber().sendTimeout();
        this.max = batchMax(config.subscriber().batchMax());
        this.lingerMs = lingerMs(config.subscriber().batchLinger());
        this.lastCall = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(lingerMs);
    }

    static int batchMax(int max) {
        if (max < 1 || max > 256) {
            throw new IllegalArgumentException("chat.subscriber.batch-max must be between 1 and 256, not " + max);
        }
        return max;
    }

    static long lingerMs(Duration linger) {
        if (linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("chat.subscriber.batch-linger must be between 0 and 1s, not " + linger);
        }
        return linger.toMillis();
    }

    /**
     * Whether the open call, now holding {@code waiting} sends, goes at once: it is full, or its first send came after a
     * quiet spell (no call within the linger), when waiting would add latency with no send likely to share the call.
     */
    static boolean goesAtOnce(int waiting, int max, long lingerMs, long nanosSinceLastCall) {
        return waiting >= max || waiting == 1 && lingerMs > 0 && nanosSinceLastCall >= TimeUnit.MILLISECONDS.toNanos(lingerMs);
    }

    private record Waiting(PublishScript.Send send, UniEmitter<? super PublishScript.Outcome> outcome) {
    }

    /** Runs {@code send} in the next call; the outcome comes on the subscriber's context, or on the pool's. */
    Uni<PublishScript.Outcome> send(PublishScript.Send send) {
        return Uni.createFrom().emitter(outcome -> subscriber.runOnContext(() -> add(new Waiting(send, outcome))));
    }

    private void add(Waiting waiting) {
        open.add(waiting);
        if (goesAtOnce(open.size(), max, lingerMs, System.nanoTime() - lastCall)) {
            flush();
        } else if (open.size() == 1) {
            if (lingerMs == 0) {
                // No linger: what reached the context by the end of this turn goes together.
                subscriber.runOnContext(this::flush);
            } else {
                lingerTimer = vertx.setTimer(lingerMs, id -> {
                    lingerTimer = -1;
                    flush();
                });
            }
        }
    }

    private void flush() {
        if (lingerTimer != -1) {
            vertx.cancelTimer(lingerTimer);
            lingerTimer = -1;
        }
        if (open.isEmpty()) {
            return;
        }
        List<Waiting> call = open;
        open = new ArrayList<>();
        lastCall = System.nanoTime();
        List<PublishScript.Send> sends = sends(call);
        String tag = Long.toString(++tags, 36);
        metrics.sendCall();
        Future<Response> sent;
        try {
            sent = subscriber.call(script.command(sends, tag), tag, timeout);
        } catch (RuntimeException fault) {
            // These sends are off the open call already: failed, each client is told to resend, not left waiting.
            Log.errorf(fault, "A publish call of %d sends could not be made", call.size());
            call.forEach(waiting -> waiting.outcome().fail(fault));
            return;
        }
        sent.onComplete(reply -> {
            if (reply.failed()) {
                retry(call, reply.cause());
                return;
            }
            try {
                List<PublishScript.Outcome> outcomes = PublishScript.outcomes(reply.result(), call.size());
                metrics.sentOn(true, call.size());
                answer(call, outcomes);
            } catch (RuntimeException malformed) {
                call.forEach(waiting -> waiting.outcome().fail(malformed));
            }
        });
    }

    private void retry(List<Waiting> call, Throwable failure) {
        if (failure instanceof ChannelSubscriber.CallRefused || LuaScript.isNoScript(failure)) {
            onPool(call);
        } else if (failure instanceof ChannelSubscriber.CallLost) {
            List<Waiting> again = new ArrayList<>();
            for (Waiting waiting : call) {
                if (waiting.send().idempotent()) {
                    again.add(waiting);
                } else {
                    waiting.outcome().fail(failure);
                }
            }
            if (!again.isEmpty()) {
                onPool(again);
            }
        } else {
            call.forEach(waiting -> waiting.outcome().fail(failure));
        }
    }

    private void onPool(List<Waiting> call) {
        script.onPool(sends(call)).subscribe().with(outcomes -> {
            metrics.sentOn(false, call.size());
            answer(call, outcomes);
        }, failure -> call.forEach(waiting -> waiting.outcome().fail(failure)));
    }

    private static void answer(List<Waiting> call, List<PublishScript.Outcome> outcomes) {
        for (int i = 0; i < call.size(); i++) {
            call.get(i).outcome().complete(outcomes.get(i));
        }
    }

    private static List<PublishScript.Send> sends(List<Waiting> call) {
        List<PublishScript.Send> sends = new ArrayList<>(call.size());
        for (Waiting waiting : call) {
            sends.add(waiting.send());
        }
        return sends;
    }
}
