package dev.chat.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A redis-server of the test's own on a free port, so fault tests can kill and restart it without
 * touching the shared instance. No persistence: after {@link #kill()} and {@link #start()} every key
 * is gone, as after a real crash of a Redis without AOF or snapshots.
 */
final class OwnRedisServer implements AutoCloseable {

    final int port = ServiceProcess.freePort();
    final RedisCli cli;
    private final Thread shutdownHook = new Thread(this::kill, "own-redis-stop");
    private final Path log;
    /** redis-server arguments after the defaults, given the port (later arguments win). */
    private final IntFunction<List<String>> extraArgs;
    private Process process;

    private OwnRedisServer(String name, IntFunction<List<String>> extraArgs, List<String> cliConnectionArgs) {
        this.log = logFile(name);
        this.extraArgs = extraArgs;
        this.cli = new RedisCli(port, cliConnectionArgs);
    }

    /** Starts a server and waits until it accepts connections. */
    static OwnRedisServer start(String name) {
        return start(name, List.of());
    }

    /** Starts a server with extra redis-server arguments (e.g. --requirepass, --maxmemory-policy). */
    static OwnRedisServer start(String name, List<String> extraArgs) {
        return started(new OwnRedisServer(name, port -> extraArgs, List.of()));
    }

    /**
     * Starts a server that speaks TLS only: {@link #port} is its TLS port and the plain port is off
     * (--port 0). Clients need not present a certificate; {@link #cli} talks TLS, trusting the CA.
     */
    static OwnRedisServer startTls(String name, TestCertificates certs) {
        return started(new OwnRedisServer(name, port -> List.of("--port", "0", "--tls-port", Integer.toString(port),
                "--tls-cert-file", certs.serverCert().toString(), "--tls-key-file", certs.serverKey().toString(),
                "--tls-ca-cert-file", certs.ca().toString(), "--tls-auth-clients", "no"),
                List.of("--tls", "--cacert", certs.ca().toString())));
    }

    private static OwnRedisServer started(OwnRedisServer redis) {
        Runtime.getRuntime().addShutdownHook(redis.shutdownHook);
        redis.start();
        return redis;
    }

    String url() {
        return cli.url();
    }

    /** Starts (again) on the same port, empty. */
    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on " + port + " is already running");
        }
        try {
            List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--protected-mode", "no"));
            command.addAll(extraArgs.apply(port));
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + "; see " + log);
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                pause();
            }
        }
        throw new IllegalStateException("redis-server did not start on " + port + "; see " + log);
    }

    /** SIGKILL: Redis vanishes with all its data; clients see their connections drop. */
    synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    @Override
    public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs anyway.
        }
    }

    private static Path logFile(String name) {
        try {
            Path logs = ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs");
            Files.createDirectories(logs);
            return logs.resolve(name + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
