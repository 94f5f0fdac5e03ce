package dev.chat.gateway.publish;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * How publish.lua is called: the call's own arguments (the recent log's settings, fixed at start), each message's
 * keys and arguments, and one outcome per message in the reply. A call carries one message or several.
 */
// Created at start, so its script is read while file descriptors are plentiful (not first under a connect storm).
@io.quarkus.runtime.Startup
@ApplicationScoped
class PublishScript {

    private static final LuaScript SCRIPT = LuaScript.fromResource("scripts/publish.lua");

    /** ARGV 1-8 of every call; the tag (ARGV 9) follows them. */
    private final List<String> settings;
    private final ReactiveRedisDataSource redis;

    PublishScript(ReactiveRedisDataSource redis, GatewayConfig config, RedisLayout layout) {
        this.redis = redis;
        GatewayConfig.RecentLog log = config.log();
        this.settings = List.of(Integer.toString(log.minEntries()), Long.toString(log.minAge().toMillis()),
                Integer.toString(log.maxEntries()), Long.toString(config.idempotencyWindow().toMillis()),
                log.protectUnstored() ? "1" : "0", Integer.toString(config.events().maxLength()),
                Integer.toString(log.trimInterval()), layout.publishCommand());
    }

    /** One message: its 9 keys and 10 arguments in publish.lua's order, and whether it carries a cid (so may run twice). */
    record Send(List<String> keys, List<String> args, boolean idempotent) {
    }

    /** The script's answer for one message: {@code ok}, {@code dup} or {@code reseed}; or {@code error} with what Redis raised. */
    record Outcome(String status, long seq, long ts, String error) {

        boolean reseed() {
            return "reseed".equals(status);
        }
    }

    /** The EVALSHA command line carrying {@code sends}, its reply ending with {@code tag}. */
    List<String> command(List<Send> sends, String tag) {
        return SCRIPT.evalsha(keys(sends), args(sends, tag));
    }

    /** Runs {@code sends} in one call on a pooled connection (loading the script after a Redis restart). */
    Uni<List<Outcome>> onPool(List<Send> sends) {
        return SCRIPT.run(redis, keys(sends), args(sends, "")).map(reply -> outcomes(reply.getDelegate(), sends.size()));
    }

    /** Runs one send, then waits until {@code replicas} replicas hold its writes (see {@link LuaScript#runReplicated}). */
    Uni<Outcome> replicated(Send send, int replicas, long timeoutMs) {
        List<Send> sends = List.of(send);
        return SCRIPT.runReplicated(redis, keys(sends), args(sends, ""), replicas, timeoutMs)
                .map(reply -> outcomes(reply.getDelegate(), 1).get(0));
    }

    /** The reply's outcomes, one per message in the order sent (three entries each, then the tag). */
    static List<Outcome> outcomes(Response reply, int count) {
        if (reply.size() != count * 3 + 1) {
            throw new IllegalStateException("the publish script answered " + reply.size() + " values for " + count + " messages");
        }
        List<Outcome> outcomes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String status = reply.get(i * 3).toString();
            outcomes.add("error".equals(status) ? new Outcome(status, 0, 0, reply.get(i * 3 + 1).toString())
                    : new Outcome(status, reply.get(i * 3 + 1).toLong(), reply.get(i * 3 + 2).toLong(), null));
        }
        return outcomes;
    }

    private static List<String> keys(List<Send> sends) {
        List<String> keys = new ArrayList<>(sends.size() * 9);
        for (Send send : sends) {
            keys.addAll(send.keys());
        }
        return keys;
    }

    private List<String> args(List<Send> sends, String tag) {
        List<String> args = new ArrayList<>(settings.size() + 1 + sends.size() * 10);
        args.addAll(settings);
        args.add(tag);
        for (Send send : sends) {
            args.addAll(send.args());
        }
        return args;
    }
}
