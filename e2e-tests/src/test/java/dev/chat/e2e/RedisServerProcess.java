package dev.chat.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One redis-server process of a test's own on a given port, without persistence, its output appended to a log
 * under e2e-tests/target/e2e-logs. Started with extra arguments after the defaults (later arguments win).
 */
final class RedisServerProcess {

    private final int port;
    private final Path log;
    private Process process;

    RedisServerProcess(String name, int port) {
        this.port = port;
        this.log = logFile(name);
    }

    /** Starts the server and waits until it accepts connections on the port. */
    synchronized void start(List<String> extraArgs) {
        if (isRunning()) {
            throw new IllegalStateException("redis-server on " + port + " is already running");
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no"));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
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

    synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: the server vanishes with all its data; clients see their connections drop. */
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
