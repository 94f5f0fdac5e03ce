package dev.chat.common.redis;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import io.vertx.mutiny.redis.client.Command;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Arrays;
import java.util.List;

/**
 * A Lua script run by EVALSHA, falling back to EVAL once when Redis does not have it cached (after a
 * restart). The scripts stay in each service's resources; this loader reads them from the classpath.
 */
public final class LuaScript {

    private final String source;
    private final String sha;

    private LuaScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    /** Reads the script at {@code path} from the service's own resources (its class path). */
    public static LuaScript fromResource(String path) {
        try (InputStream in = open(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + path);
            }
            return new LuaScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The scripts are the services' resources while this class sits in a library jar: ask the context
     * class loader (the application's, in Quarkus) first, so a class loader that only sees this jar
     * (a parent one in tests) does not miss them.
     */
    private static InputStream open(String path) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        InputStream in = context == null ? null : context.getResourceAsStream(path);
        return in != null ? in : LuaScript.class.getClassLoader().getResourceAsStream(path);
    }

    public Uni<Response> run(ReactiveRedisDataSource redis, List<String> keys, List<String> args) {
        return redis.execute("EVALSHA", command(sha, keys, args))
                .onFailure(LuaScript::isNoScript)
                .recoverWithUni(() -> redis.execute("EVAL", command(source, keys, args)));
    }

    /**
     * Runs the script and then {@code WAIT replicas timeout} on the same connection (one pipeline of two; on a
     * Redis Cluster both go to the master of the script's keys), so the reply comes only once that many replicas
     * hold the script's writes: a failover to one of them cannot lose what was answered. Fails with
     * {@link ReplicasBehind} when fewer confirm in time (the writes may still survive; the caller cannot know).
     */
    public Uni<Response> runReplicated(ReactiveRedisDataSource redis, List<String> keys, List<String> args, int replicas, long timeoutMs) {
        Request wait = Request.cmd(Command.WAIT).arg(replicas).arg(timeoutMs);
        return redis.getRedis().batch(List.of(request(Command.EVALSHA, sha, keys, args), wait))
                .onFailure(LuaScript::isNoScript)
                .recoverWithUni(() -> redis.getRedis().batch(List.of(request(Command.EVAL, source, keys, args), wait)))
                .map(replies -> {
                    long confirmed = replies.get(1).toLong();
                    if (confirmed < replicas) {
                        throw new ReplicasBehind(confirmed, replicas);
                    }
                    return replies.get(0);
                });
    }

    /** Fewer replicas than asked for confirmed a script's writes in time. */
    public static final class ReplicasBehind extends RuntimeException {
        ReplicasBehind(long confirmed, int wanted) {
            super(confirmed + " of " + wanted + " replicas confirmed the write in time", null, false, false);
        }
    }

    private static Request request(Command eval, String scriptOrSha, List<String> keys, List<String> args) {
        Request request = Request.cmd(eval);
        for (String part : command(scriptOrSha, keys, args)) {
            request.arg(part);
        }
        return request;
    }

    /**
     * Runs many invocations of this script pipelined on one pooled connection, so background work of
     * any size takes one connection for one round trip instead of queueing a command per item.
     * After a Redis restart (NOSCRIPT) the script is loaded and the batch sent once more.
     */
    public Uni<List<Response>> runBatch(ReactiveRedisDataSource redis, List<List<String>> keys, List<List<String>> args) {
        if (redis.getRedis().getDelegate() instanceof ClusterConnections) {
            // A Redis Cluster takes a pipeline only when all its keys live on one master: here each call
            // goes to its own slot's master (the client still pipelines them per connection).
            List<Uni<Response>> calls = new ArrayList<>(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                calls.add(run(redis, keys.get(i), args.get(i)));
            }
            return calls.isEmpty() ? Uni.createFrom().item(List.of()) : Uni.join().all(calls).andFailFast();
        }
        return redis.getRedis().batch(requests(keys, args))
                .onFailure(LuaScript::isNoScript)
                .recoverWithUni(() -> load(redis).chain(() -> redis.getRedis().batch(requests(keys, args))));
    }

    private List<Request> requests(List<List<String>> keys, List<List<String>> args) {
        List<Request> requests = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            requests.add(request(Command.EVALSHA, sha, keys.get(i), args.get(i)));
        }
        return requests;
    }

    /** One EVALSHA of this script, to pipeline with other commands; after NOSCRIPT, {@link #load} it and send again. */
    public Request call(List<String> keys, List<String> args) {
        return request(Command.EVALSHA, sha, keys, args);
    }

    /** Puts the script into Redis's script cache (it is gone after a restart or SCRIPT FLUSH). */
    public Uni<Void> load(ReactiveRedisDataSource redis) {
        return redis.execute("SCRIPT", "LOAD", source).replaceWithVoid();
    }

    /** An EVALSHA of this script as a command line (name first), for a connection that is not a pooled one. */
    public List<String> evalsha(List<String> keys, List<String> args) {
        return Arrays.asList(command("EVALSHA", sha, keys, args));
    }

    /** The script as one EVAL request, for a connection of one's own (rare work, where caching by SHA is not worth it). */
    public io.vertx.redis.client.Request eval(List<String> keys, List<String> args) {
        io.vertx.redis.client.Request request = io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.EVAL);
        for (String part : command(source, keys, args)) {
            request.arg(part);
        }
        return request;
    }

    /** Redis's reply when it does not hold the script (its error starts with NOSCRIPT; matched anywhere in the message). */
    public static boolean isNoScript(Throwable failure) {
        return String.valueOf(failure.getMessage()).contains("NOSCRIPT");
    }

    private static String[] command(String script, List<String> keys, List<String> args) {
        return command(null, script, keys, args);
    }

    /** [name,] script or sha, key count, keys, args. */
    private static String[] command(String name, String script, List<String> keys, List<String> args) {
        int first = name == null ? 0 : 1;
        String[] command = new String[first + 2 + keys.size() + args.size()];
        if (name != null) {
            command[0] = name;
        }
        command[first] = script;
        command[first + 1] = Integer.toString(keys.size());
        int i = first + 2;
        for (String key : keys) {
            command[i++] = key;
        }
        for (String arg : args) {
            command[i++] = arg;
        }
        return command;
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
