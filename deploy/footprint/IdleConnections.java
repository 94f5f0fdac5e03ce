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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Memory per idle WebSocket connection of the gateway (issue 10): starts the packaged gateway (dev
 * profile, against QUARKUS_REDIS_HOSTS), opens N connections that each got their `welcome`, and reports
 * per connection the RSS delta and the heap delta after a full GC (jcmd GC.run), plus the classes that
 * grew most (jcmd GC.class_histogram). Both before/after snapshots are taken after a full GC.
 *
 *   java deploy/footprint/IdleConnections.java [connections] [-- gateway JVM options, e.g. -Xss256k]
 *
 * GATEWAY_JAR picks another build (default gateway-service/target/quarkus-app/quarkus-run.jar).
 *
 * Needs `ulimit -n` above the connection count. Numbers vary with the machine and its load.
 */
public class IdleConnections {

    static final String SECRET = "footprint-secret-0123456789abcdef0123456789";

    public static void main(String[] args) throws Exception {
        int n = 5000;
        List<String> jvm = new ArrayList<>();
        boolean jvmArgs = false;
        for (String arg : args) {
            if (jvmArgs) {
                jvm.add(arg);
            } else if ("--".equals(arg)) {
                jvmArgs = true;
            } else {
                n = Integer.parseInt(arg);
            }
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path jar = Path.of(System.getenv().getOrDefault("GATEWAY_JAR", "gateway-service/target/quarkus-app/quarkus-run.jar"));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvm);
        command.addAll(List.of("-jar", jar.toString()));
        Path log = Files.createTempFile("idle-gateway", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("QUARKUS_PROFILE", "dev");
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("CHAT_JWT_SECRET", SECRET);
        builder.environment().put("CHAT_LIMITS_MAX_CONNECTIONS", Integer.toString(n + 100));
        Process gateway = builder.start();
        List<WebSocket> sockets = new ArrayList<>();
        try {
            HttpClient http = HttpClient.newHttpClient();
            awaitReady(http, port, gateway);
            // Warm up the connection path once, so class loading and JIT are not counted per connection.
            List<WebSocket> warm = open(http, port, 200, "warm");
            for (WebSocket ws : warm) {
                ws.sendClose(1000, "").join();
            }
            Thread.sleep(3000);
            Snapshot before = Snapshot.take(gateway.pid());
            long start = System.nanoTime();
            sockets = open(http, port, n, "idle");
            long openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Thread.sleep(5000);
            Snapshot after = Snapshot.take(gateway.pid());
            int count = n;
            System.out.printf("connections: %d (opened in %d ms)%n", n, openMillis);
            System.out.printf("RSS:  %d MB -> %d MB, %.1f KB per connection%n", before.rssKb >> 10, after.rssKb >> 10, (after.rssKb - before.rssKb) / (double) n);
            System.out.printf("heap after full GC: %d MB -> %d MB, %.1f KB per connection%n", before.heapKb >> 10, after.heapKb >> 10,
                    (after.heapKb - before.heapKb) / (double) n);
            System.out.println("classes that grew most (bytes per connection, instances per connection):");
            after.histogram.entrySet().stream()
                    .sorted((a, b) -> Long.compare(grow(b, before), grow(a, before)))
                    .limit(25)
                    .forEach(e -> System.out.printf("  %8.1f B %6.2f  %s%n", grow(e, before) / (double) count,
                            (e.getValue()[0] - before.histogram.getOrDefault(e.getKey(), new long[2])[0]) / (double) count, e.getKey()));
        } finally {
            for (WebSocket ws : sockets) {
                ws.abort();
            }
            gateway.destroy();
            if (!gateway.waitFor(20, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
        }
    }

    static long grow(java.util.Map.Entry<String, long[]> e, Snapshot before) {
        return e.getValue()[1] - before.histogram.getOrDefault(e.getKey(), new long[2])[1];
    }

    static List<WebSocket> open(HttpClient http, int port, int n, String prefix) throws Exception {
        Semaphore inFlight = new Semaphore(100);
        List<CompletableFuture<WebSocket>> welcomed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            CompletableFuture<WebSocket> done = new CompletableFuture<>();
            welcomed.add(done);
            http.newWebSocketBuilder().header("Authorization", "Bearer " + token(prefix + i))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/chat"), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                            if (!done.isDone() && data.toString().contains("welcome")) {
                                done.complete(ws);
                                inFlight.release();
                            }
                            ws.request(1);
                            return null;
                        }
                    })
                    .whenComplete((ws, e) -> {
                        if (e != null) {
                            done.completeExceptionally(e);
                            inFlight.release();
                        }
                    });
        }
        List<WebSocket> open = new ArrayList<>();
        for (CompletableFuture<WebSocket> f : welcomed) {
            open.add(f.get(60, TimeUnit.SECONDS));
        }
        return open;
    }

    static void awaitReady(HttpClient http, int port, Process gateway) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + gateway.exitValue());
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("not ready within 120 s");
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

    /** RSS, heap used and class histogram of a process, right after a full GC. */
    record Snapshot(long rssKb, long heapKb, java.util.Map<String, long[]> histogram) {
        static Snapshot take(long pid) throws Exception {
            jcmd(pid, "GC.run");
            Thread.sleep(1000);
            long rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            java.util.Map<String, long[]> histogram = new java.util.HashMap<>();
            long heapBytes = 0;
            for (String line : jcmd(pid, "GC.class_histogram")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) {
                    histogram.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                } else if (f.length >= 3 && f[0].equals("Total")) {
                    heapBytes = Long.parseLong(f[2]);
                }
            }
            return new Snapshot(rss, heapBytes >> 10, histogram);
        }

        static List<String> jcmd(long pid, String command) throws Exception {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command)
                    .redirectErrorStream(true).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            p.waitFor();
            return lines;
        }
    }
}
