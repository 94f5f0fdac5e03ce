package dev.chat.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary directory, trust authentication, a
 * free port), so fault tests can stop and restart it without touching the shared server. PostgreSQL
 * refuses to run as root, so its programs run as the {@code postgres} user; psql runs as the caller.
 */
final class OwnPostgres implements AutoCloseable {

    static final String DATABASE = "chat";

    /** A database as the services take it: host:port/database. */
    private static final Pattern HOST_PORT_DATABASE = Pattern.compile("([^:/]+):(\\d+)/(.+)");

    final int port = ServiceProcess.freePort();
    private final Path bin = binaries();
    private final Path dir;
    private final Path data;
    private final Thread shutdownHook = new Thread(this::stop, "own-postgres-stop");

    private OwnPostgres() {
        try {
            dir = Files.createTempDirectory("e2e-pg-");
            data = dir.resolve("data");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates a cluster with the database {@value #DATABASE}, started and accepting connections. */
    static OwnPostgres start() {
        OwnPostgres pg = new OwnPostgres();
        Runtime.getRuntime().addShutdownHook(pg.shutdownHook);
        run("chown", "postgres:postgres", pg.dir.toString());
        pg.asPostgres(pg.bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-A", "trust", "-U", "postgres", "--no-sync");
        pg.startServer();
        run("createdb", "-h", "127.0.0.1", "-p", Integer.toString(pg.port), "-U", "postgres", DATABASE);
        return pg;
    }

    /** host:port/database, as {@link ServiceProcess#history} takes it. */
    String database() {
        return "127.0.0.1:" + port + "/" + DATABASE;
    }

    /** Starts the (stopped) server again on the same port and data directory; returns once it accepts connections. */
    void startServer() {
        // fsync=off: a test cluster need not survive an operating-system crash; a stop or a PostgreSQL crash loses nothing.
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("postgres.log").toString(),
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "-w", "-t", "60", "start");
    }

    boolean isRunning() {
        return Files.exists(data.resolve("postmaster.pid"));
    }

    /** A fast shutdown: open connections are cut, as when the database goes away. */
    void stop() {
        if (isRunning()) {
            asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "60", "stop");
        }
    }

    /** Runs one SQL statement in {@value #DATABASE}; returns the rows, columns separated by a tab. */
    List<String> query(String sql) {
        return query(database(), sql);
    }

    /**
     * Runs one SQL statement as user postgres in {@code database} (host:port/database, as {@link ServiceProcess#history}
     * takes it, e.g. {@link RedisCli#sharedDatabase()}), with the password the services get, if any; returns the rows,
     * columns separated by a tab.
     */
    static List<String> query(String database, String sql) {
        Matcher parts = HOST_PORT_DATABASE.matcher(database);
        if (!parts.matches()) {
            throw new IllegalArgumentException("not host:port/database: " + database);
        }
        return run(Map.of("PGPASSWORD", System.getenv().getOrDefault("QUARKUS_DATASOURCE_PASSWORD", "")),
                "psql", "-X", "-q", "-t", "-A", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", parts.group(1), "-p", parts.group(2),
                "-U", "postgres", "-d", parts.group(3), "-c", sql);
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            deleteRecursively(dir);
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // The hook runs anyway.
            }
        }
    }

    private List<String> asPostgres(String... command) {
        List<String> args = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        args.addAll(List.of(command));
        return run(args.toArray(String[]::new));
    }

    private static List<String> run(String... command) {
        return run(Map.of(), command);
    }

    private static List<String> run(Map<String, String> env, String... command) {
        Path out = null;
        try {
            // Output to a file, not a pipe: the server pg_ctl starts must not hold our pipe open.
            out = Files.createTempFile("e2e-pg-cmd-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with " + process.exitValue() + ": " + text);
            }
            List<String> lines = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (out != null) {
                out.toFile().delete();
            }
        }
    }

    /** The newest installed PostgreSQL's bin directory (Debian layout: /usr/lib/postgresql/VERSION/bin). */
    private static Path binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
                    .map(p -> p.resolve("bin"))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL under /usr/lib/postgresql"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
