package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rollout does not stampede the gateways that remain: 2,000 clients on gateway A, SIGTERM A. Each
 * client reconnects to gateway B the instant it gets {@code reconnect} (no client-side jitter, so any
 * spread comes from the server), and joins again with {@code since}. B must see them arrive spread over
 * the drain window, not in one burst; every client must be back, recover in-band, and hold every
 * message of its room exactly once and in order; A must finish within its drain timeout, cutting none.
 */
class DrainSpreadIT {

    private static final int CLIENTS = Integer.getInteger("drain-spread.clients", 2000);
    private static final int ROOMS = 20;
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Spread evenly over 80 % of the timeout, one second holds about 12.5 %; all at once, close to 100 %.
     * The margin is for a busy machine, where the processes' own slowness bunches some of them.
     */
    private static final double MAX_SHARE_PER_SECOND = 0.4;

    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static final ExecutorService CALLBACKS = Executors.newFixedThreadPool(4);
    static final ScheduledExecutorService RETRIES = Executors.newSingleThreadScheduledExecutor();
    static final HttpClient HTTP = HttpClient.newBuilder().executor(CALLBACKS).connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void startGateways() {
        RedisCli redis = RedisCli.shared();
        // What the history service does on its first start: without the marker a new room's first
        // join waits for a re-seed from history, and this test runs no history service.
        redis.run("SET", "chat:generation", "drain-spread-it", "NX");
        Map<String, String> env = Map.of("CHAT_DRAIN_TIMEOUT", DRAIN_TIMEOUT.toSeconds() + "s", "CHAT_LIMITS_JOINS_PER_SECOND", "1000");
        gatewayA = ServiceProcess.gateway("drain-spread-a", redis.url(), env);
        // -Ddrain-spread.spread=0 runs A with the old drain (everyone at once), to see this test fail.
        if (System.getProperty("drain-spread.spread") != null) {
            gatewayA.with("CHAT_DRAIN_SPREAD", System.getProperty("drain-spread.spread"));
        }
        gatewayB = ServiceProcess.gateway("drain-spread-b", redis.url(), env);
        ServiceProcess.startAll(gatewayA, gatewayB);
    }

    @AfterAll
    static void stopGateways() {
        if (gatewayA != null) {
            gatewayA.stop();
        }
        if (gatewayB != null) {
            gatewayB.stop();
        }
        CALLBACKS.shutdownNow();
        RETRIES.shutdownNow();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aDrainingGatewaySpreadsItsClientsOverTheDrainWindowAndLosesNothing() throws Exception {
        String prefix = "spread-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> rooms = new ArrayList<>();
        for (int r = 0; r < ROOMS; r++) {
            rooms.add(prefix + "-" + r);
        }
        List<Client> clients = new ArrayList<>();
        Semaphore opening = new Semaphore(20); // a steady start; the start is not what is measured
        for (int i = 0; i < CLIENTS; i++) {
            opening.acquire();
            Client client = new Client(prefix + "-u" + i, rooms.get(i % ROOMS));
            clients.add(client);
            client.joinedOnA.orTimeout(60, TimeUnit.SECONDS).whenComplete((v, e) -> opening.release());
            client.connect(gatewayA.url());
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> clients.stream().allMatch(c -> c.joinedOnA.isDone()));
        assertEquals(List.of(), clients.stream().filter(c -> c.joinedOnA.isCompletedExceptionally()).map(c -> c.user + " " + c.errors).toList(),
                "every client joined on A");
        assertEquals(CLIENTS, gatewayConnections(gatewayA), "gateway A exports its connections (the autoscaler's metric)");

        Writer writer = new Writer(rooms);
        writer.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.acked() >= ROOMS);

        long sigterm = System.nanoTime();
        gatewayA.terminate();
        assertTrue(gatewayA.awaitExit(Duration.ofSeconds(30)), "gateway A exits after its drain");
        long exited = System.nanoTime();
        try {
            // Generous: on a busy machine B may need a while (and join retries) for 2,000 joins.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> clients.stream().allMatch(c -> c.joinedOnB.isDone()));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not every client is back on B: " + progress(clients), e);
        }
        writer.stop();

        // Nothing lost: each client holds every acknowledged message of its room, once, in order.
        Map<String, Long> highest = writer.highestSeqPerRoom();
        assertEquals(ROOMS, highest.size(), "every room got messages");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> clients.stream().allMatch(c -> c.lastSeq() >= highest.get(c.room)));
        List<Long> arrivals = new ArrayList<>();
        List<Long> told = new ArrayList<>();
        int joinRetries = 0;
        for (Client client : clients) {
            assertEquals(List.of(), client.errors, client.user);
            assertTrue(client.sawReconnect, client.user + " got reconnect");
            assertEquals(Boolean.TRUE, client.recoveredOnB, client.user + ": the gap was replayed in-band");
            assertEquals(highest.get(client.room), client.lastSeq(), client.user + " holds its room up to the last ack");
            assertEquals(client.lastSeq() - client.firstSeq, client.received.get(), client.user + ": each message once");
            arrivals.add(TimeUnit.NANOSECONDS.toMillis(client.arrivedOnB - sigterm));
            told.add(TimeUnit.NANOSECONDS.toMillis(client.toldAt - sigterm));
            joinRetries += client.joinRetries.get();
        }
        assertEquals(List.of(), writer.errors, "the writer's sends");

        // Spread: A tells its clients over the window, and B never gets a large share of them within one second.
        Collections.sort(arrivals);
        Collections.sort(told);
        long[] busiestArrivals = busiestSecond(arrivals);
        long[] busiestTold = busiestSecond(told);
        int busiest = (int) busiestArrivals[0];
        long busiestStart = busiestArrivals[1];
        long p10 = arrivals.get(CLIENTS / 10);
        long p90 = arrivals.get(CLIENTS * 9 / 10);
        String drainLog = Files.readString(ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs/drain-spread-a.log"));
        System.out.printf("DrainSpreadIT: %d clients arrived on B from %d ms to %d ms after SIGTERM (10th-90th percentile %d-%d ms); "
                + "busiest second (from %d ms) %d clients = %.1f %%; A exited after %d ms; %d joins retried after `unavailable`; "
                + "arrivals per second %s (reconnect frames received per second %s, busiest second %d)%n", CLIENTS, arrivals.get(0), arrivals.get(CLIENTS - 1), p10, p90, busiestStart, busiest,
                100.0 * busiest / CLIENTS, TimeUnit.NANOSECONDS.toMillis(exited - sigterm), joinRetries, perSecond(arrivals), perSecond(told), busiestTold[0]);
        assertTrue(busiestTold[0] <= CLIENTS * MAX_SHARE_PER_SECOND, busiestTold[0] + " clients were told to reconnect within one second (from "
                + busiestTold[1] + " ms after SIGTERM): gateway A did not spread its reconnect frames");
        assertTrue(told.get(CLIENTS * 9 / 10) - told.get(CLIENTS / 10) >= DRAIN_TIMEOUT.toMillis() / 2,
                "the middle 80 % of the reconnect frames span less than half the drain timeout");
        assertTrue(busiest <= CLIENTS * MAX_SHARE_PER_SECOND, busiest + " clients reached B within one second (from "
                + busiestStart + " ms after SIGTERM): the drain did not spread them");
        assertTrue(p90 - p10 >= DRAIN_TIMEOUT.toMillis() / 2, "the middle 80 % of the arrivals span " + (p90 - p10)
                + " ms, less than half the drain timeout");
        // The log file collects every run of this test: the last drain is this one.
        Matcher drained = Pattern.compile("Drained (\\d+) connections; (\\d+) forced").matcher(drainLog);
        String[] last = null;
        while (drained.find()) {
            last = new String[] {drained.group(1), drained.group(2)};
        }
        assertTrue(last != null, "gateway A logs its drain");
        // What A planned: on a machine so busy that the processes serialise everything, the timings
        // above blur; the schedule A logged does not.
        Matcher plan = Pattern.compile("Draining (\\d+) connections: reconnect in (\\d+) batches over (\\d+) ms").matcher(drainLog);
        long[] planned = null;
        while (plan.find()) {
            planned = new long[] {Long.parseLong(plan.group(2)), Long.parseLong(plan.group(3))};
        }
        assertTrue(planned != null && planned[0] > 1 && planned[1] >= DRAIN_TIMEOUT.toMillis() / 2,
                "gateway A spreads its reconnect frames in batches over most of the drain timeout: " + java.util.Arrays.toString(planned));
        assertEquals(CLIENTS, Integer.parseInt(last[0]), "gateway A drained every client");
        // Connections still closing at the timeout are cut (logged as forced); each had its `reconnect`
        // (a client closed before it would have an error above) and loses nothing (the checks above).
        System.out.printf("DrainSpreadIT: gateway A cut %s connections still closing at its drain timeout%n", last[1]);
        clients.forEach(Client::close);
        writer.close();
    }

    /** Where the clients are, for a failure message. */
    private static String progress(List<Client> clients) {
        Map<String, Integer> onB = new java.util.TreeMap<>();
        clients.forEach(c -> c.framesOnB.forEach((type, n) -> onB.merge(type, n, Integer::sum)));
        return String.format("%d told to reconnect, %d connected to B, %d joined on B; frames on B %s; join retries %d; errors: %s",
                clients.stream().filter(c -> c.sawReconnect).count(), clients.stream().filter(c -> c.arrivedOnB != 0).count(),
                clients.stream().filter(c -> c.joinedOnB.isDone()).count(), onB, clients.stream().mapToInt(c -> c.joinRetries.get()).sum(),
                clients.stream().filter(c -> !c.errors.isEmpty()).limit(5).map(c -> c.user + " " + c.errors).toList());
    }

    /** The most events within one second of sorted times (ms), and when that second starts. */
    private static long[] busiestSecond(List<Long> sorted) {
        long[] busiest = {0, 0};
        for (int first = 0, last = 0; first < sorted.size(); first++) {
            while (last < sorted.size() && sorted.get(last) < sorted.get(first) + 1000) {
                last++;
            }
            if (last - first > busiest[0]) {
                busiest[0] = last - first;
                busiest[1] = sorted.get(first);
            }
        }
        return busiest;
    }

    /** Connections per second after SIGTERM, for the report. */
    private static List<Integer> perSecond(List<Long> arrivals) {
        List<Integer> counts = new ArrayList<>();
        for (long millis : arrivals) {
            int second = (int) (millis / 1000);
            while (counts.size() <= second) {
                counts.add(0);
            }
            counts.set(second, counts.get(second) + 1);
        }
        return counts;
    }

    /** chat_gateway_connections as the gateway exports it on /q/metrics (what the autoscaler reads). */
    private static long gatewayConnections(ServiceProcess gateway) {
        java.util.OptionalDouble gauge = gateway.metric("chat_gateway_connections");
        assertTrue(gauge.isPresent(), "chat_gateway_connections on /q/metrics");
        return (long) gauge.getAsDouble();
    }

    /**
     * One member of one room. Its first connection is to A; on {@code reconnect} it stops reading that
     * connection at once and opens one to B, joining with {@code since} = the last seq it holds.
     */
    static final class Client {
        final String user;
        final String room;
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Void> joinedOnA = new CompletableFuture<>();
        final CompletableFuture<Void> joinedOnB = new CompletableFuture<>();
        final AtomicInteger received = new AtomicInteger();
        final AtomicInteger joinRetries = new AtomicInteger();
        final Map<String, Integer> framesOnB = new ConcurrentHashMap<>();
        volatile boolean sawReconnect;
        volatile Boolean recoveredOnB;
        volatile long arrivedOnB;
        volatile long toldAt;
        volatile long firstSeq = -1;
        private long lastSeq = -1;
        private String epoch;
        private volatile int generation;
        private final List<WebSocket> sockets = Collections.synchronizedList(new ArrayList<>());

        Client(String user, String room) {
            this.user = user;
            this.room = room;
        }

        synchronized long lastSeq() {
            return lastSeq;
        }

        CompletableFuture<Void> connect(String base) {
            int mine = generation;
            return HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + Tokens.forUser(user))
                    .buildAsync(URI.create(base.replaceFirst("^http", "ws") + "/chat"), new Listener(mine))
                    .thenAccept(socket -> {
                        if (mine > 0) {
                            arrivedOnB = System.nanoTime(); // B accepted the upgrade: a connection arrived there
                        }
                        sockets.add(socket);
                    })
                    .exceptionally(e -> {
                        errors.add("upgrade to " + base + " failed: " + e);
                        return null;
                    });
        }

        private synchronized void onFrame(WebSocket socket, JsonNode frame, int from) {
            if (from != generation) {
                return; // the drained connection: everything after `reconnect` comes again through `since`
            }
            if (from > 0) {
                framesOnB.merge(frame.path("type").asText(), 1, Integer::sum);
            }
            switch (frame.path("type").asText()) {
                case "welcome" -> join(socket);
                case "joined" -> {
                    if (from == 0) {
                        lastSeq = firstSeq = frame.path("seq").asLong();
                        epoch = frame.path("epoch").asText();
                        joinedOnA.complete(null);
                    } else {
                        recoveredOnB = frame.path("recovered").asBoolean(false);
                        joinedOnB.complete(null);
                    }
                }
                case "message" -> {
                    long seq = frame.path("seq").asLong();
                    if (seq != lastSeq + 1) {
                        errors.add((seq <= lastSeq ? "duplicate " : "gap before ") + seq + " after " + lastSeq + " (connection " + from + ")");
                    }
                    lastSeq = Math.max(lastSeq, seq);
                    received.incrementAndGet();
                }
                case "reconnect" -> {
                    sawReconnect = true;
                    toldAt = System.nanoTime();
                    generation = from + 1;
                    connect(gatewayB.url());
                }
                case "error" -> {
                    if ("unavailable".equals(frame.path("code").asText())) {
                        // A join that met a busy Redis: try again later, backing off as the browser client does
                        // (1 s, doubling up to 15 s, "equal jitter").
                        long ceiling = Math.min(15_000, 1000L << Math.min(4, joinRetries.getAndIncrement()));
                        long delay = ceiling / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
                        RETRIES.schedule(() -> resend(socket, from), delay, TimeUnit.MILLISECONDS);
                    } else {
                        errors.add("error " + frame);
                    }
                }
                default -> {
                    // presence events, pongs
                }
            }
        }

        private synchronized void resend(WebSocket socket, int from) {
            if (from == generation) {
                join(socket);
            }
        }

        private void join(WebSocket socket) {
            String join = lastSeq < 0
                    ? "{\"type\":\"join\",\"room\":\"" + room + "\"}"
                    : "{\"type\":\"join\",\"room\":\"" + room + "\",\"since\":" + lastSeq + ",\"epoch\":\"" + epoch + "\"}";
            socket.sendText(join, true);
        }

        void close() {
            synchronized (sockets) {
                sockets.forEach(WebSocket::abort);
            }
        }

        private final class Listener implements WebSocket.Listener {
            private final int generation;
            private final StringBuilder partial = new StringBuilder();

            Listener(int generation) {
                this.generation = generation;
            }

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        onFrame(socket, WsClient.JSON.readTree(partial.toString()), generation);
                    } catch (IOException e) {
                        errors.add("unreadable frame " + partial);
                    }
                    partial.setLength(0);
                }
                socket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
                if (generation == 0 && code != 1012) {
                    errors.add("gateway A closed with " + code + " " + reason + ", not 1012");
                }
                if (generation == 0 && !sawReconnect) {
                    errors.add("gateway A closed the connection before telling it to reconnect");
                }
                return null;
            }
        }
    }

    /** One connection on gateway B posting to every room in turn, resending with the same cid what was refused. */
    static final class Writer implements AutoCloseable {
        private final List<String> rooms;
        private final Map<String, Long> acks = new ConcurrentHashMap<>();
        private final Map<String, String> pending = new ConcurrentHashMap<>();
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
        private WsClient socket;
        private final AtomicInteger sent = new AtomicInteger();
        private Thread reader;

        Writer(List<String> rooms) {
            this.rooms = rooms;
        }

        void start() {
            socket = WsClient.connect("drain-spread-writer", gatewayB.url());
            for (String room : rooms) {
                socket.join(room);
            }
            reader = new Thread(this::read, "drain-spread-writer");
            reader.setDaemon(true);
            reader.start();
            // 5 messages a second over the 20 rooms: every room has messages during the drain to recover.
            ticks.scheduleAtFixedRate(() -> {
                int n = sent.getAndIncrement();
                String room = rooms.get(n % rooms.size());
                String cid = "w" + n;
                String frame = WsClient.frame("send").put("room", room).put("text", "m" + n).put("cid", cid).toString();
                pending.put(cid, frame);
                socket.send(frame);
            }, 0, 200, TimeUnit.MILLISECONDS);
        }

        private void read() {
            while (!Thread.currentThread().isInterrupted()) {
                JsonNode frame = socket.poll(500);
                if (frame == null) {
                    continue;
                }
                String cid = frame.path("cid").asText();
                switch (frame.path("type").asText()) {
                    case "ack" -> {
                        acks.put(frame.path("room").asText() + " " + cid, frame.path("seq").asLong());
                        pending.remove(cid);
                    }
                    case "error" -> {
                        if ("unavailable".equals(frame.path("code").asText()) && pending.containsKey(cid)) {
                            RETRIES.schedule(() -> socket.send(pending.get(cid)), 200, TimeUnit.MILLISECONDS);
                        } else {
                            errors.add(frame.toString());
                        }
                    }
                    default -> {
                        // its own rooms' messages
                    }
                }
            }
        }

        int acked() {
            return acks.size();
        }

        /** Stops sending and waits until every send is acknowledged. */
        void stop() {
            ticks.shutdown(); // cancels the periodic send
            try {
                ticks.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> acks.size() == sent.get());
        }

        Map<String, Long> highestSeqPerRoom() {
            Map<String, Long> highest = new ConcurrentHashMap<>();
            acks.forEach((key, seq) -> highest.merge(key.substring(0, key.indexOf(' ')), seq, Math::max));
            return highest;
        }

        @Override
        public void close() {
            reader.interrupt();
            socket.close();
        }
    }
}
