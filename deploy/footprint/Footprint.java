import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Measures what the README's "Operations" table reports: for the gateway and the history service,
 * each started from its packaged jar (dev profile, against the local Redis and PostgreSQL), the time
 * from process start until /q/health/ready answers 200, the resident set size (RSS) once idle, and
 * the RSS after a little traffic (WebSocket clients posting to a room, history replay reads).
 *
 * Build the jars first (./mvnw -B package -DskipTests), then, from the repository root:
 *
 *   java deploy/footprint/Footprint.java [runs] [-- extra JVM options, e.g. -Xmx256m]
 *
 * Environment: QUARKUS_REDIS_HOSTS (default redis://127.0.0.1:6379), FOOTPRINT_DB (host:port/database,
 * default 127.0.0.1:5432/chat), QUARKUS_DATASOURCE_USERNAME / _PASSWORD (default postgres / none).
 * Every process it starts is stopped before it exits. Numbers vary with the machine and its load.
 */
public class Footprint {

    static final String SECRET = "footprint-secret-0123456789abcdef0123456789";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final int CLIENTS = 100;
    static final int MESSAGES_PER_CLIENT = 20;

    public static void main(String[] args) throws Exception {
        int runs = 1;
        List<String> jvm = new ArrayList<>();
        boolean jvmArgs = false;
        for (String arg : args) {
            if (jvmArgs) {
                jvm.add(arg);
            } else if ("--".equals(arg)) {
                jvmArgs = true;
            } else {
                runs = Integer.parseInt(arg);
            }
        }
        String redis = env("QUARKUS_REDIS_HOSTS", "redis://127.0.0.1:6379");
        String db = env("FOOTPRINT_DB", "127.0.0.1:5432/chat");
        System.out.printf("JVM options: %s; %d run(s) each%n", jvm.isEmpty() ? "(none: JVM defaults)" : String.join(" ", jvm), runs);
        System.out.println("| service | start to ready | RSS idle | RSS after traffic | traffic |");
        System.out.println("|---|---|---|---|---|");
        for (int run = 0; run < runs; run++) {
            Map<String, String> gatewayEnv = new LinkedHashMap<>();
            gatewayEnv.put("QUARKUS_REDIS_HOSTS", redis);
            gatewayEnv.put("CHAT_NODE_ID", "footprint");
            try (Service gateway = new Service("gateway-service", jvm, gatewayEnv)) {
                long ready = gateway.startAndAwaitReady();
                long idle = gateway.idleRss();
                long delivered = chatTraffic(gateway.url());
                long busy = gateway.rss();
                row("gateway", ready, idle, busy, CLIENTS + " WebSocket clients, " + CLIENTS * MESSAGES_PER_CLIENT
                        + " messages, " + delivered + " deliveries");
            }
            Map<String, String> historyEnv = new LinkedHashMap<>();
            historyEnv.put("QUARKUS_REDIS_HOSTS", redis);
            historyEnv.put("QUARKUS_DATASOURCE_REACTIVE_URL", "vertx-reactive:postgresql://" + db);
            historyEnv.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + db);
            try (Service history = new Service("history-service", jvm, historyEnv)) {
                long ready = history.startAndAwaitReady();
                long idle = history.idleRss();
                int reads = replayTraffic(history.url());
                long busy = history.rss();
                row("history", ready, idle, busy, reads + " replay reads");
            }
        }
    }

    static void row(String name, long readyMillis, long idleKb, long busyKb, String traffic) {
        System.out.printf("| %s | %.1f s | %d MiB | %d MiB | %s |%n", name, readyMillis / 1000.0, idleKb / 1024, busyKb / 1024, traffic);
    }

    /** Clients join one room and each posts a burst; returns the deliveries received. */
    static long chatTraffic(String base) throws Exception {
        String room = "footprint-" + UUID.randomUUID().toString().substring(0, 8);
        long expected = (long) CLIENTS * CLIENTS * MESSAGES_PER_CLIENT;
        AtomicLong delivered = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch joined = new CountDownLatch(CLIENTS);
        CountDownLatch done = new CountDownLatch(1);
        List<WebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            String user = "user" + i;
            WebSocket socket = HTTP.newWebSocketBuilder()
                    .header("Authorization", "Bearer " + token(user))
                    .buildAsync(URI.create(base.replace("http", "ws") + "/chat"), new WebSocket.Listener() {
                        final StringBuilder partial = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            partial.append(data);
                            if (last) {
                                String frame = partial.toString();
                                partial.setLength(0);
                                if (frame.contains("\"type\":\"joined\"")) {
                                    joined.countDown();
                                } else if (frame.contains("\"type\":\"message\"") && delivered.incrementAndGet() == expected) {
                                    done.countDown();
                                } else if (frame.contains("\"type\":\"error\"") && errors.incrementAndGet() == 1) {
                                    System.err.println("first error frame: " + frame);
                                }
                            }
                            ws.request(1);
                            return null;
                        }

                        @Override
                        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                            if (code != WebSocket.NORMAL_CLOSURE) {
                                System.err.println("closed by the gateway: " + code + " " + reason);
                            }
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            socket.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true).get(10, TimeUnit.SECONDS);
            sockets.add(socket);
        }
        joined.await(30, TimeUnit.SECONDS);
        List<CompletableFuture<WebSocket>> sends = new ArrayList<>();
        for (int m = 0; m < MESSAGES_PER_CLIENT; m++) {
            for (WebSocket socket : sockets) {
                sends.add(socket.sendText("{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"hello " + m + "\"}", true)
                        .toCompletableFuture());
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            sends.clear();
            // One message per client every 100 ms: a busy room, inside the default rate limits.
            Thread.sleep(100);
        }
        done.await(60, TimeUnit.SECONDS);
        if (errors.get() > 0) {
            System.err.println(errors.get() + " error frames (sends refused)");
        }
        for (WebSocket socket : sockets) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        Thread.sleep(2000);
        return delivered.get();
    }

    /** Replay reads of a few rooms (whatever they hold), sequentially. */
    static int replayTraffic(String base) throws Exception {
        int reads = 0;
        for (int i = 0; i < 500; i++) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/rooms/footprint-" + (i % 5) + "/messages?limit=100"))
                    .header("Authorization", "Bearer " + token("reader")).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() < 500) {
                reads++;
            }
        }
        return reads;
    }

    static String token(String user) throws Exception {
        long now = System.currentTimeMillis() / 1000;
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"sub\":\"" + user + "\",\"iss\":\"chat\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}")
                .getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return header + "." + claims + "." + b64.encodeToString(mac.doFinal((header + "." + claims).getBytes(StandardCharsets.UTF_8)));
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /** One service process on a free loopback port; close() stops it (SIGTERM, then SIGKILL). */
    static final class Service implements AutoCloseable {
        final int port;
        final int managementPort;
        final Process process;
        final long started;

        Service(String module, List<String> jvm, Map<String, String> env) throws IOException {
            try (ServerSocket socket = new ServerSocket(0); ServerSocket management = new ServerSocket(0)) {
                port = socket.getLocalPort();
                managementPort = management.getLocalPort();
            }
            Path jar = Path.of(module, "target/quarkus-app/quarkus-run.jar");
            if (!Files.exists(jar)) {
                throw new IllegalStateException(jar + " is missing: run ./mvnw -B package -DskipTests first, from the repository root");
            }
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvm);
            command.add("-jar");
            command.add(jar.toString());
            Path log = Files.createTempFile("footprint-" + module, ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            builder.environment().put("QUARKUS_PROFILE", "dev");
            builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
            builder.environment().put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
            builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
            builder.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
            builder.environment().put("CHAT_JWT_SECRET", SECRET);
            started = System.nanoTime();
            process = builder.start();
        }

        String url() {
            return "http://127.0.0.1:" + port;
        }

        long startAndAwaitReady() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the service exited with " + process.exitValue());
                }
                try {
                    if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("not ready within 120 s");
        }

        /** RSS after 10 s without traffic (the JIT and the schedulers settle). */
        long idleRss() throws Exception {
            Thread.sleep(10_000);
            return rss();
        }

        long rss() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IllegalStateException("no VmRSS for " + process.pid());
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
