package dev.chat.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** One service started from its packaged jar as a real process on a free loopback port, always stopped by the test. */
final class ServiceProcess implements AutoCloseable {

    static final Path ROOT = Path.of(System.getProperty("chat.root", "..")).toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** -Dchat.e2e.native=true (.ci/native): run the native executables of a -Pnative build instead of the jars. */
    static final boolean NATIVE = Boolean.getBoolean("chat.e2e.native");

    /** Per module, this test run's private copy of the packaged app (see {@link #snapshot}). */
    private static final Map<String, Path> SNAPSHOTS = new ConcurrentHashMap<>();
    private static final Map<String, String> SHELL_FUNCTIONS = new ConcurrentHashMap<>();
    private static final Path LOGS = ROOT.resolve("e2e-tests/target/e2e-logs");

    final String name;
    final int port;
    /** The management interface (health, metrics, OpenAPI): its own port, as in production. */
    final int managementPort;
    private final String module;
    private final Map<String, String> env;
    /** JVM options (-D...) before the main class, as JAVA_OPTS_APPEND gives them in the image. */
    private final List<String> jvmOptions = new ArrayList<>();
    /** Run the module's own build in place, with the AOT cache beside it (see {@link #withAotCache}). */
    private boolean aotCache;
    private Process process;

    private ServiceProcess(String name, String module, Map<String, String> env) {
        this.name = name;
        this.port = freePort();
        this.managementPort = freePort();
        this.module = module;
        this.env = new HashMap<>(env);
        this.env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        this.env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        this.env.put("QUARKUS_PROFILE", "dev");
        this.env.put("CHAT_JWT_SECRET", Tokens.SECRET);
    }

    /** A gateway with abuse limits raised: these tests are about delivery, and send in bursts. */
    static ServiceProcess gateway(String name, String redisUrl) {
        return gateway(name, redisUrl, Map.of());
    }

    static ServiceProcess gateway(String name, String redisUrl, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(Map.of("CHAT_NODE_ID", name, "QUARKUS_REDIS_HOSTS", redisUrl,
                "CHAT_LIMITS_MESSAGES_PER_SECOND", "10000", "CHAT_LIMITS_MESSAGE_BURST", "10000",
                "CHAT_LIMITS_USER_MESSAGES_PER_SECOND", "10000", "CHAT_LIMITS_USER_MESSAGE_BURST", "10000",
                "CHAT_LIMITS_JOIN_BURST", "1000"));
        env.putAll(extraEnv);
        return new ServiceProcess(name, "gateway-service", env);
    }

    static ServiceProcess history(String name, String redisUrl, String database) {
        return new ServiceProcess(name, "history-service", Map.of(
                "QUARKUS_REDIS_HOSTS", redisUrl,
                "QUARKUS_DATASOURCE_REACTIVE_URL", "vertx-reactive:postgresql://" + database,
                "QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + database,
                "QUARKUS_DATASOURCE_USERNAME", "postgres"));
    }

    /** Sets (or overrides) an environment variable of the process; takes effect at the next start. */
    ServiceProcess with(String key, String value) {
        env.put(key, value);
        return this;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Base URL of the management interface: /q/health/*, /q/metrics, /q/openapi. */
    String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    /** Adds JVM options (e.g. -Djavax.net.ssl.trustStore=...); they take effect at the next start. */
    ServiceProcess withJvmOptions(List<String> options) {
        jvmOptions.addAll(options);
        return this;
    }

    /**
     * Runs the module's packaged app where its build left it, with the AOT cache beside it as deploy/local/run.sh
     * passes it, and {@code -XX:AOTMode=on}: the JVM then refuses to start unless it can use the cache. (The private
     * copy the other tests run would not do: a cache holds only for the jars it was recorded with, as they were.)
     */
    ServiceProcess withAotCache() {
        aotCache = true;
        return this;
    }

    /** What the local launcher passes for the AOT cache beside {@code jar}: nothing if it has none to pass. */
    static String launcherAotCacheOptions(Path jar) {
        return shellFunction(null, "jvm_aot_cache_options", jar.toString());
    }

    static Path packagedJar(String module) {
        return ROOT.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** Starts the services at once (their JVMs boot in parallel) and waits until every one is ready. */
    static void startAll(ServiceProcess... services) {
        List<CompletableFuture<ServiceProcess>> starts = new ArrayList<>();
        for (ServiceProcess service : services) {
            starts.add(CompletableFuture.supplyAsync(service::start));
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Starts the process and waits until its readiness probe says UP. */
    ServiceProcess start() {
        launch();
        // Generous: on a shared, loaded machine a JVM start has taken over 60 s.
        awaitReady(Duration.ofSeconds(150));
        return this;
    }

    /** What a function of deploy/local/backing-services.sh prints (the services' JVM options), read once per function. */
    static String shellFunctionOutput(String function) {
        return SHELL_FUNCTIONS.computeIfAbsent(function, f -> {
            String output = shellFunction(null, f);
            if (output.isEmpty()) {
                throw new IllegalStateException(f + " printed nothing");
            }
            return output;
        });
    }

    /** What FUNCTION of deploy/local/backing-services.sh prints with the variables of ENV set (a container's, say), and no others. */
    static String shellFunctionOutput(String function, Map<String, String> env) {
        return shellFunction(env, function);
    }

    /**
     * What FUNCTION of deploy/local/backing-services.sh prints for ARGS, run from the repository root: in this process's
     * environment, or with ENV given, in one of only its variables and PATH.
     */
    private static String shellFunction(Map<String, String> env, String function, String... args) {
        List<String> command = new ArrayList<>();
        if (env != null) {
            command.addAll(List.of("env", "-i", "PATH=" + System.getenv("PATH")));
            env.forEach((name, value) -> command.add(name + "=" + value));
        }
        // The repository root and the arguments come in as $1, $2, ..., so paths with spaces need no quoting here.
        command.addAll(List.of("bash", "-c",
                "cd \"$1\" && shift && . deploy/local/backing-services.sh && " + function + " \"$@\"", "bash", ROOT.toString()));
        command.addAll(List.of(args));
        return run(command.toArray(String[]::new)).strip();
    }

    /** Starts the process without waiting for it to become ready (for a service that must not). */
    ServiceProcess launch() {
        List<String> command = new ArrayList<>(NATIVE ? List.of(nativeExecutable(module).toString(), "-Xmx256m")
                : List.of(javaBinary(), "-Xmx256m"));
        if (!NATIVE) {
            // The JVM options deploy/ runs the service with (the images, the pods, run.sh, the benchmark), from the one
            // shell function that gives them: each service's collector and both services' shallower inlining.
            command.addAll(List.of(shellFunctionOutput("gateway-service".equals(module) ? "gateway_jvm_options" : "history_jvm_options").split("\\s+")));
        }
        if (!NATIVE && Runtime.version().feature() >= 25) {
            // As deploy/'s images run it (Java 25); JDK 17 lacks the option.
            command.add(1, "-XX:+UseCompactObjectHeaders");
        }
        if (aotCache) {
            String cache = launcherAotCacheOptions(packagedJar(module));
            if (cache.isEmpty()) {
                throw new IllegalStateException(module + ": the launcher passes no AOT cache to the `java` on PATH");
            }
            command.add(cache);
            command.add("-XX:AOTMode=on");
        }
        // A native executable takes -D options as its arguments, the JVM before -jar.
        command.addAll(jvmOptions);
        if (!NATIVE) {
            command.addAll(List.of("-jar", (aotCache ? packagedJar(module) : snapshot(module)).toString()));
        }
        try {
            Files.createDirectories(LOGS);
            File log = LOGS.resolve(name + ".log").toFile();
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see e2e-tests/target/e2e-logs/" + name
                        + ".log, which ends with:\n" + logTail(20));
            }
            if (readyStatus() == 200) {
                return;
            }
            pause();
        }
        throw new IllegalStateException(name + " not ready within " + timeout + "; see e2e-tests/target/e2e-logs/" + name + ".log");
    }

    /** How long this service's log is now: {@link #logShowsAfter} looks past it. */
    long logLength() {
        try {
            Path log = LOGS.resolve(name + ".log");
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the log, past {@code offset} (a {@link #logLength()}), has a line containing {@code text}. */
    boolean logShowsAfter(long offset, String text) {
        try {
            byte[] all = Files.readAllBytes(LOGS.resolve(name + ".log"));
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of this service's log, so that a failure in CI says why without the log file. */
    private String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(LOGS.resolve(name + ".log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** HTTP status of /q/health/ready (management port), or -1 if nothing answers. */
    int readyStatus() {
        return managementStatus("/q/health/ready");
    }

    /**
     * For a history started on a Redis of its own: waits until its ingest group is UP, so Redis holds the
     * generation marker. Until then a fresh Redis has none, and every join answers {@code unavailable}
     * (a client would retry); history sets it after re-seeding every room it stores, which on the shared
     * database, full of earlier tests' rooms, can outlast start-up by many seconds.
     */
    void awaitRoomsCanStart() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (managementStatus("/q/health/group/ingest") != 200) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(name + "'s ingest group not UP within 90 s (no generation marker in Redis?); log ends with:\n"
                        + logTail(20));
            }
            pause();
        }
    }

    /** HTTP status of a GET on the management port, or -1 if nothing answers. */
    private int managementStatus(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl() + path)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The running process's id. */
    long pid() {
        return process.pid();
    }

    /**
     * How many of the running process's threads have a name that matches {@code name}. Linux shows 15 characters of a
     * thread's name: HotSpot gives it the first 15, a native image the last 15, so a pattern matches either.
     */
    long threadsNamed(Pattern name) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
            return tasks.filter(task -> {
                try {
                    return name.matcher(Files.readString(task.resolve("comm")).strip()).matches();
                } catch (IOException e) {
                    return false; // the thread ended meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Resident set size of the running process, in KB (from /proc). */
    long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS for " + name);
    }

    /**
     * What the process's heap really retains, as opposed to heap it has grown and not given back: the
     * objects a class histogram finds reachable (jcmd GC.class_histogram runs a full GC first). Not
     * GC.heap_info's "used": what the process allocates between a GC and that reading stays in eden, up to
     * the whole young generation (32 MB with deploy/'s options). Three full GCs come first: a serial full GC
     * may leave up to 5% of the old generation in place as dead objects (int[] fillers, which a histogram
     * counts) and compacts fully on every fourth. JVM mode only.
     */
    LiveHeap liveHeap() {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = Long.toString(process.pid());
        for (int i = 0; i < 3; i++) {
            run(jcmd, pid, "GC.run");
        }
        String histogram = run(jcmd, pid, "GC.class_histogram");
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$").matcher(histogram);
        if (!total.find()) {
            throw new IllegalStateException("no total in the class histogram of " + name + ": " + histogram);
        }
        List<String> lines = histogram.lines().toList();
        return new LiveHeap(Long.parseLong(total.group(1)) >> 10, String.join("\n", lines.subList(0, Math.min(lines.size(), 18))));
    }

    /** Live heap in KB, and the classes that hold most of it (the histogram's first lines). */
    record LiveHeap(long kb, String largestClasses) {}

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GET with a user's token; returns status and body. */
    HttpResponse<String> get(String path, String user) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + path))
                    .header("Authorization", "Bearer " + Tokens.forUser(user))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** GET on the management interface (no token: it needs none); returns status and body. */
    HttpResponse<String> management(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(managementUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One series of /q/metrics by name (its first, whatever its labels), or empty when the service does not export it. */
    java.util.OptionalDouble metric(String name) {
        java.util.regex.Matcher value = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(management("/q/metrics").body());
        return value.find() ? java.util.OptionalDouble.of(Double.parseDouble(value.group(1))) : java.util.OptionalDouble.empty();
    }

    /** SIGTERM, then SIGKILL if it has not exited within 30 s. */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM without waiting: the process shuts down gracefully while the test watches. */
    void terminate() {
        if (process != null) {
            process.destroy();
        }
    }

    /** Waits for the process to exit (after {@link #terminate()}); false if it is still running. */
    boolean awaitExit(Duration timeout) {
        try {
            return process == null || process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** SIGKILL: a crash, no chance to clean up. */
    void kill() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * A port nothing listens on, taken below the kernel's ephemeral range (32768-60999 on Linux): a port
     * the kernel hands out for {@code bind(0)} can be taken as the local end of any outgoing connection
     * (a test's thousands of clients, a service's Redis connections) before the service binds it, and the
     * service then exits with "address already in use". Each port is handed out once per test run.
     */
    static int freePort() {
        for (int attempt = 0; attempt < PORT_RANGE; attempt++) {
            int port = PORT_BASE + Math.floorMod(NEXT_PORT.getAndIncrement(), PORT_RANGE);
            try (ServerSocket socket = new ServerSocket(port)) {
                return port;
            } catch (IOException taken) {
                // In use by something else on this machine: try the next.
            }
        }
        throw new IllegalStateException("no free port in " + PORT_BASE + "-" + (PORT_BASE + PORT_RANGE - 1));
    }

    private static final int PORT_BASE = 20000;
    private static final int PORT_RANGE = 12000;
    /** Starts at a random place so that test runs of two builds on one machine rarely meet. */
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(ThreadLocalRandom.current().nextInt(PORT_RANGE));

    /**
     * Copies the module's packaged app once per test run and starts every process from the copy:
     * builds running at the same time on this machine rewrite target/quarkus-app, and a service must
     * not lose its jars (or get half-written ones) while a test runs it.
     */
    private static Path snapshot(String module) {
        return SNAPSHOTS.computeIfAbsent(module, m -> {
            Path app = packagedJar(m).getParent();
            if (!Files.exists(app.resolve("quarkus-run.jar"))) {
                throw new IllegalStateException(app.resolve("quarkus-run.jar") + " is missing: package the services first (./mvnw package)");
            }
            Path copy = ROOT.resolve("e2e-tests/target/apps").resolve(m + "-" + ProcessHandle.current().pid());
            try (Stream<Path> files = Files.walk(app)) {
                for (Path source : (Iterable<Path>) files::iterator) {
                    Path target = copy.resolve(app.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // Gone with the test run; services still running then keep their open files.
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(copy)));
            return copy.resolve("quarkus-run.jar");
        });
    }

    /** The module's native executable, target/*-runner, from a -Pnative build. */
    private static Path nativeExecutable(String module) {
        try (Stream<Path> files = Files.list(ROOT.resolve(module).resolve("target"))) {
            return files.filter(p -> p.getFileName().toString().endsWith("-runner") && Files.isExecutable(p)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(module + "/target/*-runner is missing: build it with ./mvnw package -Pnative"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // Best effort: target/ is build output.
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Between two looks at a starting service: short, as the suite starts dozens of them. */
    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
