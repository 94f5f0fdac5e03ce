package dev.chat.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs redis-cli against a Redis server, for assertions on what Redis really holds. */
final class RedisCli {

    private final int port;
    /** How to reach the server beyond host and port, e.g. --tls --cacert ca.crt. */
    private final List<String> connectionArgs;

    RedisCli(int port) {
        this(port, List.of());
    }

    RedisCli(int port, List<String> connectionArgs) {
        this.port = port;
        this.connectionArgs = connectionArgs;
    }

    /**
     * The machine's shared Redis (127.0.0.1:6379), or the port in CHAT_E2E_REDIS_PORT, so that
     * parallel test runs on one machine need not share one Redis.
     */
    static RedisCli shared() {
        return new RedisCli(Integer.parseInt(System.getenv().getOrDefault("CHAT_E2E_REDIS_PORT", "6379")));
    }

    /** The shared PostgreSQL database (host:port/database): 127.0.0.1:5432/test, or CHAT_E2E_DB. */
    static String sharedDatabase() {
        return System.getenv().getOrDefault("CHAT_E2E_DB", "127.0.0.1:5432/test");
    }

    String url() {
        return (connectionArgs.contains("--tls") ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    /** Runs one command; returns the output lines. */
    List<String> run(String... command) {
        List<String> args = new ArrayList<>(base());
        args.addAll(List.of(command));
        return lines(exec(args, null, 10));
    }

    /**
     * Runs commands one after another on one connection (what WAIT needs: it counts the writes of its
     * own connection); each line in redis-cli syntax, arguments with spaces or braces in "double quotes".
     * Returns the output lines of all replies.
     */
    List<String> session(List<String> commandLines) {
        return lines(exec(base(), String.join("\n", commandLines) + "\n", 30));
    }

    /** Entries of a stream (0 if it does not exist). */
    long xlen(String stream) {
        return Long.parseLong(run("XLEN", stream).get(0).trim());
    }

    /** Subscribers of a channel, over all clients. */
    long subscribers(String channel) {
        return Long.parseLong(run("PUBSUB", "NUMSUB", channel).get(1).trim());
    }

    private List<String> base() {
        List<String> args = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        args.addAll(connectionArgs);
        return args;
    }

    private static List<String> lines(String out) {
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    /** Runs a command to its end (feeding it {@code stdin} if given); returns what it printed, errors included. */
    static String exec(List<String> command, String stdin, int timeoutSeconds) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
