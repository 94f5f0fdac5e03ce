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
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Measures what one idle connection costs a gateway, for the connection cap in deploy/kubernetes
 * (README, "Running on Kubernetes"): a gateway started from its packaged jar with the JVM options
 * given after "--" (deploy/kubernetes/gateway.yaml's JAVA_OPTS_APPEND, plus -XX:MaxRAM and
 * -XX:ActiveProcessorCount to make the JVM size itself as it would in the pod), then N authenticated
 * WebSocket clients that each join one room (N/20 rooms) and stay silent. Reported: RSS and live heap
 * (the objects jcmd GC.class_histogram finds reachable) before and with the connections, and the
 * difference / N.
 *
 *   java deploy/footprint/ConnectionFootprint.java 4000 -- -Xmx256m -XX:MaxRAM=512m -XX:ActiveProcessorCount=2
 *
 * Environment: QUARKUS_REDIS_HOSTS (default redis://127.0.0.1:6379), a Redis a history service has
 * started against once (it sets chat:generation; on a fresh Redis without one, `redis-cli SET
 * chat:generation footprint NX`, or every join waits for a re-seed). Needs jcmd beside java. The
 * gateway is stopped before it exits. Numbers vary with the machine and its load. FOOTPRINT_BROWSER=1
 * sends browser-sized upgrade headers (see {@link #BROWSER}).
 */
public class ConnectionFootprint {

    static final String SECRET = "footprint-secret-0123456789abcdef0123456789";
    /**
     * FOOTPRINT_BROWSER=1: each upgrade also carries what a browser sends (a user agent, languages, and
     * 2 KB of cookies for the site), since the gateway's WebSocket stack keeps the upgrade's headers for the
     * connection's life; the default is a minimal upgrade, as the load tool's.
     */
    static final boolean BROWSER = "1".equals(System.getenv("FOOTPRINT_BROWSER"));
    static final java.util.Map<String, String> BROWSER_HEADERS = java.util.Map.of(
            "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Accept-Language", "en-GB,en;q=0.9,de;q=0.8,fr;q=0.7",
            "Accept-Encoding", "gzip, deflate, br, zstd",
            "Cache-Control", "no-cache",
            "Pragma", "no-cache",
            "Cookie", "session=" + "s".repeat(400) + "; consent=" + "c".repeat(600) + "; analytics=" + "a".repeat(1000));
    static final int ROOM_SIZE = 20;
    static final java.util.concurrent.ScheduledExecutorService RETRY = Executors.newSingleThreadScheduledExecutor();

    public static void main(String[] args) throws Exception {
        int n = 4000;
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
        int managementPort;
        try (ServerSocket socket = new ServerSocket(0); ServerSocket management = new ServerSocket(0)) {
            port = socket.getLocalPort();
            managementPort = management.getLocalPort();
        }
        Path jar = Path.of("gateway-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run ./mvnw -B package -DskipTests first, from the repository root");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvm);
        command.add("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        command.add("-jar");
        command.add(jar.toString());
        Path log = Files.createTempFile("connection-footprint", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("QUARKUS_PROFILE", "dev");
        builder.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        builder.environment().put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        builder.environment().put("QUARKUS_REDIS_HOSTS", env("QUARKUS_REDIS_HOSTS", "redis://127.0.0.1:6379"));
        builder.environment().put("CHAT_JWT_SECRET", SECRET);
        builder.environment().put("CHAT_NODE_ID", "footprint");
        builder.environment().put("CHAT_LIMITS_MAX_CONNECTIONS", Integer.toString(n + 100));
        // Idle means idle: no reaping during the measurement (the clients answer pings, but be sure).
        builder.environment().put("CHAT_LIMITS_IDLE_TIMEOUT", "1h");
        Process gateway = builder.start();
        HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(4)).connectTimeout(Duration.ofSeconds(10)).build();
        List<WebSocket> sockets = new ArrayList<>();
        try {
            String base = "http://127.0.0.1:" + port;
            awaitReady(http, "http://127.0.0.1:" + managementPort, gateway);
            System.out.printf("JVM options: %s; log %s%n", String.join(" ", jvm), log);
            Thread.sleep(10_000); // the JIT and the schedulers settle
            Sample before = sample(gateway.pid());
            System.out.printf("before: %s%n", before);
            AtomicInteger joined = new AtomicInteger();
            AtomicInteger retries = new AtomicInteger();
            Semaphore opening = new Semaphore(20);
            List<CompletableFuture<WebSocket>> opened = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                opening.acquire();
                String room = "footprint-" + (i / ROOM_SIZE);
                WebSocket.Builder upgrade = http.newWebSocketBuilder().header("Authorization", "Bearer " + token("idle" + i));
                if (BROWSER) {
                    BROWSER_HEADERS.forEach(upgrade::header);
                }
                CompletableFuture<WebSocket> socket = upgrade
                        .buildAsync(URI.create(base.replace("http", "ws") + "/chat"), new WebSocket.Listener() {
                            final StringBuilder partial = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                partial.append(data);
                                if (last) {
                                    String frame = partial.toString();
                                    partial.setLength(0);
                                    if (frame.contains("\"type\":\"welcome\"")) {
                                        ws.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true);
                                    } else if (frame.contains("\"type\":\"joined\"")) {
                                        joined.incrementAndGet();
                                        opening.release();
                                    } else if (frame.contains("\"code\":\"unavailable\"")) {
                                        // A burst of joins can time out in Redis: retry, as a client would.
                                        retries.incrementAndGet();
                                        RETRY.schedule(() -> ws.sendText("{\"type\":\"join\",\"room\":\"" + room + "\"}", true),
                                                200, TimeUnit.MILLISECONDS);
                                    } else if (frame.contains("\"type\":\"error\"")) {
                                        System.err.println("error frame: " + frame);
                                        opening.release();
                                    }
                                }
                                ws.request(1);
                                return null;
                            }

                            @Override
                            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                                System.err.println("closed by the gateway: " + code + " " + reason);
                                return null;
                            }
                        }).toCompletableFuture();
                socket.whenComplete((ws, e) -> {
                    if (e != null) {
                        System.err.println("upgrade failed: " + e);
                        opening.release();
                    }
                });
                opened.add(socket);
            }
            for (CompletableFuture<WebSocket> socket : opened) {
                sockets.add(socket.get(60, TimeUnit.SECONDS));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (joined.get() < n && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            System.out.printf("%d connections open, %d joined a room (%d joins retried after `unavailable`)%n", sockets.size(), joined.get(),
                    retries.get());
            Thread.sleep(10_000);
            Sample with = sample(gateway.pid());
            System.out.printf("with %d: %s%n", n, with);
            System.out.printf("per connection: RSS %.1f KiB, heap after full GC %.1f KiB, outside the heap %.1f KiB%n",
                    (with.rssKb - before.rssKb) / (double) n, (with.heapUsedKb - before.heapUsedKb) / (double) n,
                    (with.nonHeapKb - before.nonHeapKb) / (double) n);
        } finally {
            for (WebSocket socket : sockets) {
                socket.abort();
            }
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        System.exit(0);
    }

    record Sample(long rssKb, long heapUsedKb, long nonHeapKb, String heapInfo) {
        @Override
        public String toString() {
            return "RSS " + rssKb / 1024 + " MiB, live heap " + heapUsedKb / 1024 + " MiB, committed outside the heap "
                    + (nonHeapKb < 0 ? "? (run with -XX:NativeMemoryTracking=summary)" : nonHeapKb / 1024 + " MiB") + " (" + heapInfo + ")";
        }
    }

    /**
     * Live heap: the bytes a class histogram finds reachable. Not GC.heap_info's "used", which counts what the
     * gateway allocated in eden since the GC. Three full GCs first: a serial full GC may leave up to 5% of
     * the old generation as dead objects (int[] fillers, counted by a histogram) and compacts fully on every
     * fourth.
     */
    static Sample sample(long pid) throws Exception {
        for (int i = 0; i < 3; i++) {
            jcmd(pid, "GC.run");
        }
        Matcher live = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$").matcher(jcmd(pid, "GC.class_histogram"));
        long heapUsed = live.find() ? Long.parseLong(live.group(1)) >> 10 : -1;
        String info = jcmd(pid, "GC.heap_info");
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        String firstLine = info.lines().filter(l -> l.contains("used")).findFirst().orElse("").strip();
        // With -XX:NativeMemoryTracking=summary: what the JVM committed outside the Java heap
        // (metaspace, threads, code, GC, Netty's direct buffers under "Other"), which -Xmx does not bound.
        String nmt = jcmd(pid, "VM.native_memory summary");
        Matcher total = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB").matcher(nmt);
        Matcher javaHeap = Pattern.compile("Java Heap \\(reserved=\\d+KB, committed=(\\d+)KB\\)").matcher(nmt);
        long nonHeap = total.find() && javaHeap.find() ? Long.parseLong(total.group(1)) - Long.parseLong(javaHeap.group(1)) : -1;
        return new Sample(rss, heapUsed, nonHeap, firstLine);
    }

    static String jcmd(long pid, String command) throws Exception {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid), command)
                .redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        jcmd.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    static void awaitReady(HttpClient http, String base, Process gateway) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                throw new IllegalStateException("the gateway exited with " + gateway.exitValue());
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build(),
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

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
