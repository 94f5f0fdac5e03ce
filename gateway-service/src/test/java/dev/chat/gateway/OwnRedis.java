package dev.chat.gateway;

import dev.chat.common.testing.ScratchRedis;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own on a free port, so fault tests can kill and restart it without
 * touching the shared instance. No persistence: a restart loses every key, as a real crash without AOF does.
 */
public class OwnRedis implements QuarkusTestResourceLifecycleManager {

    static int port;
    private static ScratchRedis server;

    @Override
    public Map<String, String> start() {
        server = new ScratchRedis();
        port = server.port();
        startServer();
        return Map.of("quarkus.redis.hosts", url());
    }

    @Override
    public void stop() {
        kill();
    }

    static String url() {
        return server.url();
    }

    static void startServer() {
        server.start();
    }

    /** SIGKILL: Redis vanishes with all its data. */
    static void kill() {
        server.kill();
    }

    /** Runs redis-cli against this server and returns its output. */
    static String cli(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        try {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            cli.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
