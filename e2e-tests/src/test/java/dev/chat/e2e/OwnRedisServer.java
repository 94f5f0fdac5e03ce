package dev.chat.e2e;

import java.util.List;
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
    private final RedisServerProcess server;
    /** redis-server arguments after the defaults, given the port (later arguments win). */
    private final IntFunction<List<String>> extraArgs;

    private OwnRedisServer(String name, IntFunction<List<String>> extraArgs, List<String> cliConnectionArgs) {
        this.server = new RedisServerProcess(name, port);
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
    void start() {
        server.start(extraArgs.apply(port));
    }

    /** SIGKILL: Redis vanishes with all its data; clients see their connections drop. */
    void kill() {
        server.kill();
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
}
