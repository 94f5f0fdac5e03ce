package dev.chat.load;

import dev.chat.load.measure.DeliveryLedger;
import dev.chat.load.measure.Latency;
import dev.chat.load.probe.HeapProbe;
import dev.chat.load.probe.HistoryProbe;
import dev.chat.load.probe.ProcessMonitor;
import dev.chat.load.probe.Watched;
import dev.chat.load.report.Reports;
import dev.chat.load.wire.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load tool's entry point: connects the clients, drives the sends on a fixed aggregate schedule,
 * measures, prints a progress line every second, stops by itself and writes the JSON and HTML reports.
 */
public final class LoadTool {

    private final Options opt;
    private final RunState run;
    private final ProcessMonitor monitor;
    private final long t0 = System.nanoTime();
    private final Map<String, Object> result = new LinkedHashMap<>();
    private final List<Map<String, Object>> progress = new ArrayList<>();
    private String phase = "connect";
    private HistoryProbe history;
    private Churn churn;
    private long lastProgressSends;
    private long lastProgressDeliveries;

    LoadTool(Options opt) {
        this.opt = opt;
        this.run = new RunState(Wire.named(opt.protocol(), opt.presence()), "L" + Long.toString(System.nanoTime() % 1_000_000_000L, 36), opt.messageSize());
        this.monitor = new ProcessMonitor(opt.pids());
    }

    public static void main(String[] args) {
        Options opt;
        try {
            opt = Options.parse(args);
        } catch (Options.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("error: " + e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit(e.getMessage() == null ? 0 : 64);
            return;
        }
        int status;
        try {
            status = new LoadTool(opt).execute();
        } catch (Exception e) {
            System.err.println("error: " + e.getMessage());
            e.printStackTrace();
            status = 2;
        }
        System.exit(status);
    }

    int execute() throws Exception {
        Tokens tokens = new Tokens(opt.tokenCommand() == null ? opt.jwtSecret() : null, opt.tokenCommand(), Duration.ofHours(12),
                opt.issuer());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(opt.eventLoops()));
        WebSocketClientOptions wso = new WebSocketClientOptions().setMaxConnections(Integer.MAX_VALUE).setConnectTimeout(30_000)
                .setMaxMessageSize(1 << 20).setTrustAll(opt.insecure()).setVerifyHost(!opt.insecure());
        WebSocketClient wsClient = vertx.createWebSocketClient(wso);
        result.put("label", opt.label());
        result.put("protocol", opt.protocol());
        result.put("mode", opt.mode());
        result.put("startedAt", Instant.now().toString());
        result.put("options", opt.describe());
        try {
            List<LoadClient> clients = createClients(tokens);
            Map<String, Long> rssBefore = Map.of();
            Map<String, Long> heapBefore = Map.of();
            Map<String, Long> rssBeforeAfterGc = Map.of();
            if (opt.mode().equals("idle")) {
                // RSS as the processes stand, before the full GC that reads the heap: that GC also shrinks a JVM's
                // heap, and the RSS after the connections is read without one (both ends alike). The RSS after
                // each full GC is the second, GC-settled reading.
                rssBefore = monitor.rssNow();
                heapBefore = opt.gcHeap() ? heaps() : Map.of();
                rssBeforeAfterGc = opt.gcHeap() ? monitor.rssNow() : Map.of();
            }
            monitor.sample();
            connectAll(vertx, wsClient, clients);
            if (opt.mode().equals("idle")) {
                idle(rssBefore, heapBefore, rssBeforeAfterGc);
            } else if (opt.rate() > 0 && run.joined.get() > 0) {
                if (opt.history() != null) {
                    history = new HistoryProbe(opt.history(), tokens.tokenFor(opt.userPrefix() + "-history"), run.ledger);
                }
                if (opt.churnRate() > 0) {
                    // Same rooms as the held clients, users of their own: tokens are made before the clock starts.
                    churn = new Churn(opt.churnRate(), opt.churnHold(), opt.targets(), opt.roomPrefix(), opt.rooms(),
                            fetchTokens(tokens, i -> opt.userPrefix() + "-churn" + i, Churn.users(opt.churnRate(), opt.churnHold())),
                            new RunState(run.wire, run.runTag, opt.messageSize()));
                }
                sendPhase(vertx, wsClient, clients);
            }
            closeAll(clients);
            result.putIfAbsent("refusals", run.refusals.snapshot());
            result.putIfAbsent("closes", run.closes.snapshot());
            Reports.write(opt.out(), result, progress);
            System.out.println("report: " + opt.out() + ".json, " + opt.out() + ".html");
            return 0;
        } finally {
            wsClient.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private List<LoadClient> createClients(Tokens tokens) throws InterruptedException {
        String[] toks = fetchTokens(tokens, i -> opt.userPrefix() + i, opt.clients());
        List<LoadClient> clients = new ArrayList<>(opt.clients());
        for (int i = 0; i < opt.clients(); i++) {
            String room = opt.rooms() == 0 ? null : opt.roomPrefix() + (i % opt.rooms());
            clients.add(new LoadClient(i, opt.targets().get(Placement.target(i, opt.rooms(), opt.targets().size())), room, toks[i], run));
        }
        return clients;
    }

    /** One token per user {@code user.apply(0 .. n-1)}: minted, or fetched from the token command eight at a time. */
    private String[] fetchTokens(Tokens tokens, java.util.function.IntFunction<String> user, int n) throws InterruptedException {
        String[] toks = new String[n];
        if (opt.tokenCommand() == null) {
            for (int i = 0; i < n; i++) {
                toks[i] = tokens.tokenFor(user.apply(i));
            }
            return toks;
        }
        System.out.println("fetching " + n + " tokens from the token command ...");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger bad = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            int k = i;
            pool.submit(() -> {
                try {
                    toks[k] = tokens.tokenFor(user.apply(k));
                } catch (RuntimeException e) {
                    bad.incrementAndGet();
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.HOURS);
        if (bad.get() > 0) {
            throw new IllegalStateException(bad.get() + " tokens could not be fetched");
        }
        return toks;
    }

    /** Connects every client, at most connect-concurrency at a time; true when all joined. */
    private boolean connectAll(Vertx vertx, WebSocketClient wsClient, List<LoadClient> clients) throws InterruptedException {
        phase = "connect";
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        long start = System.nanoTime();
        Runnable[] startOne = new Runnable[1];
        startOne[0] = () -> {
            int i = next.getAndIncrement();
            if (i < clients.size()) {
                clients.get(i).start(wsClient).onComplete(ar -> {
                    done.incrementAndGet();
                    startOne[0].run();
                });
            }
        };
        monitor.startWindow();
        vertx.runOnContext(v -> {
            for (int k = 0; k < Math.min(opt.connectConcurrency(), clients.size()); k++) {
                startOne[0].run();
            }
        });
        long deadline = start + opt.connectTimeout().toNanos();
        while (done.get() < clients.size() && System.nanoTime() < deadline) {
            // Checked every 20 ms (progress still once a second): the CPU window ends with the last join, not up to a
            // second after it.
            tick(20);
        }
        Map<String, Object> connectCpu = monitor.endWindow();
        // The connect phase's CPU is the run's CPU when nothing is sent afterwards (S1, S2, S4).
        result.put(opt.mode().equals("run") && opt.rate() > 0 ? "connectCpu" : "cpu", connectCpu);
        long end = run.lastJoinNanos.get();
        run.connectJoin.cut(secondsSinceStart());
        boolean complete = run.joined.get() == clients.size();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("clients", clients.size());
        c.put("joined", run.joined.get());
        c.put("failed", run.failed.get());
        c.put("timedOut", clients.size() - done.get());
        c.put("seconds", end > start ? Math.round((end - start) / 1e6) / 1000.0 : null);
        c.put("complete", complete);
        c.put("perClient", Latency.summary(run.connectJoin.total()));
        c.put("refusals", run.refusals.snapshot());
        result.put("connect", c);
        System.out.printf("connect: %d/%d joined in %s s, %d failed, %d timed out%n", run.joined.get(), clients.size(),
                c.get("seconds"), run.failed.get(), clients.size() - done.get());
        return complete;
    }

    private void sendPhase(Vertx vertx, WebSocketClient wsClient, List<LoadClient> clients) throws InterruptedException {
        List<LoadClient> publishers = new ArrayList<>();
        for (int i = 0; i < opt.publishers(); i++) {
            if (clients.get(i).isJoined()) {
                publishers.add(clients.get(i));
            }
        }
        if (publishers.isEmpty()) {
            result.put("send", Map.of("error", "no publisher joined"));
            return;
        }
        AtomicLong maxBacklog = new AtomicLong();
        double rate = opt.rate();
        int n = publishers.size();
        // One thread of its own paces the aggregate rate (not an event loop, where deliveries would delay it):
        // every millisecond it sends what is due since the start, round-robin over the publishers, so short
        // stalls are caught up and the long-run rate is exact. Vert.x hands each write to its connection's loop.
        Thread scheduler = new Thread(() -> {
            long sendStart = System.nanoTime();
            long s = 0;
            while (!Thread.currentThread().isInterrupted()) {
                long due = (long) ((System.nanoTime() - sendStart) * rate / 1e9);
                maxBacklog.accumulateAndGet(due - s, Math::max);
                for (; s < due; s++) {
                    publishers.get((int) (s % n)).send();
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }, "send-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
        if (churn != null) {
            churn.start(vertx, wsClient);
        }
        phase = "warmup";
        AutoCloseable sampling = history == null ? () -> { } : history.sampleEverySecond();
        sleepTicks(opt.warmup());
        run.measureFromNanos = System.nanoTime();
        long windowStart = run.measureFromNanos;
        long sendsAtWindow = run.sends.get();
        long acksAtWindow = run.ledger.ackedCount();
        long arrivalsAtWindow = run.ledger.firstDeliveries();
        run.latency.cut(0);
        run.ackLatency.cut(0);
        if (churn != null) {
            churn.measureFromNow();
        }
        monitor.startWindow();
        if (history != null) {
            history.startWindow();
        }
        phase = "measure";
        sleepTicks(opt.duration());
        try {
            sampling.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        scheduler.interrupt();
        scheduler.join(5000);
        long windowEnd = System.nanoTime();
        Map<String, Object> cpu = monitor.endWindow();
        // Read when the CPU window ends, before closing the churning clients (which can take seconds): the deliveries
        // the window's CPU paid for.
        long windowSends = run.sends.get() - sendsAtWindow;
        long windowAcks = run.ledger.ackedCount() - acksAtWindow;
        // Deliveries that arrived inside the window (whenever sent): the work the CPU figures of the window paid for.
        long windowArrivals = run.ledger.firstDeliveries() - arrivalsAtWindow;
        if (churn != null) {
            try {
                churn.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                System.out.println("some churning connections did not close cleanly: " + e.getMessage());
            }
            result.put("churn", churn.report());
            System.out.println("churn: " + result.get("churn"));
        }
        phase = "drain";
        // Wait while anything is still owed and still moving: a backlogged server that keeps delivering is
        // given time (up to drain-max), one that has gone quiet for `drain` with messages owed has lost them.
        long hardDeadline = System.nanoTime() + opt.drainMax().toNanos();
        long quietSince = System.nanoTime();
        long lastSeen = -1;
        while (System.nanoTime() < hardDeadline && System.nanoTime() - quietSince < opt.drain().toNanos()
                && (run.ledger.pendingCount() > 0 || run.ledger.firstDeliveries() < run.ledger.expectedSoFar())) {
            long seen = run.ledger.firstDeliveries() + run.ledger.ackedCount() - run.ledger.pendingCount();
            if (seen != lastSeen) {
                lastSeen = seen;
                quietSince = System.nanoTime();
            }
            tick(200);
        }
        long drainedMs = (System.nanoTime() - windowEnd) / 1_000_000;
        boolean owed = run.ledger.pendingCount() > 0 || run.ledger.firstDeliveries() < run.ledger.expectedSoFar();
        // Why the drain ended: a "cap" means the server was still delivering a backlog, so what is missing may
        // be queued rather than dropped; "quiet" means nothing moved for the drain period: missing is lost.
        String drainEnd = !owed ? "complete" : System.nanoTime() - quietSince >= opt.drain().toNanos() ? "quiet" : "cap";
        run.latency.cut(secondsSinceStart());
        run.ackLatency.cut(secondsSinceStart());
        long measured = run.latency.total().getTotalCount();
        Map<String, Object> ingest = null;
        if (history != null) {
            phase = "history";
            long catchUp = history.catchUp(windowEnd, Duration.ofSeconds(60));
            ingest = new LinkedHashMap<>();
            List<Long> samples = new ArrayList<>(history.samples());
            samples.sort(Long::compare);
            ingest.put("samples", samples.size());
            ingest.put("lagMedianMs", samples.isEmpty() ? null : samples.get(samples.size() / 2));
            ingest.put("lagMaxMs", samples.isEmpty() ? null : samples.get(samples.size() - 1));
            ingest.put("catchUpAfterSendStopMs", catchUp < 0 ? "not caught up in 60 s" : catchUp);
            ingest.put("errors", history.errors());
        }
        double seconds = (windowEnd - windowStart) / 1e9;
        DeliveryLedger.Integrity integrity = run.ledger.integrity();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("windowSeconds", Math.round(seconds * 1000) / 1000.0);
        s.put("publishers", n);
        s.put("targetRate", rate);
        s.put("sent", windowSends);
        s.put("sentPerSecond", round1(windowSends / seconds));
        s.put("acked", windowAcks);
        s.put("deliveries", windowArrivals);
        s.put("deliveriesPerSecond", round1(windowArrivals / seconds));
        s.put("deliveriesOfWindowSends", measured);
        s.put("expectedDeliveriesPerSecond", round1(rate * (double) run.joined.get() / Math.max(1, opt.rooms())));
        s.put("maxScheduleBacklog", maxBacklog.get());
        s.put("drainMs", drainedMs);
        s.put("drainEnd", drainEnd);
        result.put("send", s);
        result.put("latency", Latency.summary(run.latency.total()));
        result.put("ackLatency", Latency.summary(run.ackLatency.total()));
        Map<String, Object> integrityReport = Reports.integrity(integrity);
        integrityReport.put("drainEnd", drainEnd);
        result.put("integrity", integrityReport);
        result.put("cpu", cpu);
        result.put("costs", Reports.costs(cpu, windowArrivals, windowAcks));
        if (ingest != null) {
            result.put("historyIngest", ingest);
        }
        result.put("refusals", run.refusals.snapshot());
        result.put("closes", run.closes.snapshot());
        result.put("otherFrames", run.otherFrames.snapshot());
        result.put("foreignMessages", run.foreignMessages.sum());
        result.put("latencyTimeline", run.latency.timeline());
        result.put("latencyDistribution", Latency.distribution(run.latency.total()));
        System.out.println();
        System.out.printf("sent %d (%.1f/s), acked %d, deliveries %d (%.0f/s); latency %s%n", windowSends, windowSends / seconds,
                windowAcks, windowArrivals, windowArrivals / seconds, result.get("latency"));
        if (integrity.unacked() > 0) {
            System.out.println("! " + integrity.unacked() + " sends never answered (no ack, no error) by the end of the drain");
        }
        System.out.println("limited by: " + cpu.get("limitedBy"));
        if (!integrity.clean()) {
            System.out.println("!!! INTEGRITY PROBLEM: lost " + integrity.lost() + ", duplicated " + integrity.duplicated()
                    + ", out of order " + integrity.outOfOrder() + ", not joined " + integrity.notJoined() + " !!!"
                    + (drainEnd.equals("cap") ? " (the drain ended at --drain-max while deliveries were still arriving:"
                            + " the missing ones may be queued, not dropped)" : ""));
        } else {
            System.out.println("integrity: 0 lost, 0 duplicated, 0 out of order (" + integrity.expected() + " deliveries expected)");
        }
    }

    private void idle(Map<String, Long> rssBefore, Map<String, Long> heapBefore, Map<String, Long> rssBeforeAfterGc)
            throws InterruptedException {
        phase = "hold";
        sleepTicks(opt.hold());
        Map<String, Long> rssAfter = monitor.rssNow();
        Map<String, Long> heapAfter = opt.gcHeap() ? heaps() : Map.of();
        Map<String, Long> rssAfterAfterGc = opt.gcHeap() ? monitor.rssNow() : Map.of();
        int n = Math.max(1, run.connected.get());
        Map<String, Object> per = new LinkedHashMap<>();
        for (Watched w : monitor.watched()) {
            Map<String, Object> p = new LinkedHashMap<>();
            String name = w.name();
            reading(p, "rssBeforeBytes", "rssAfterBytes", "rssPerConnectionBytes", rssBefore.getOrDefault(name, -1L),
                    rssAfter.getOrDefault(name, -1L), n);
            if (rssBeforeAfterGc.containsKey(name) && rssAfterAfterGc.containsKey(name)) {
                // Both after a full GC (JVMs only): what the connections keep, without garbage or heap headroom.
                reading(p, "rssAfterFullGcBeforeBytes", "rssAfterFullGcAfterBytes", "rssPerConnectionAfterFullGcBytes",
                        rssBeforeAfterGc.get(name), rssAfterAfterGc.get(name), n);
            }
            if (heapBefore.containsKey(name) && heapAfter.containsKey(name)) {
                reading(p, "heapUsedAfterGcBeforeBytes", "heapUsedAfterGcAfterBytes", "heapPerConnectionBytes", heapBefore.get(name),
                        heapAfter.get(name), n);
            }
            per.put(w.name(), p);
        }
        Map<String, Object> idle = new LinkedHashMap<>();
        idle.put("connections", run.connected.get());
        idle.put("processes", per);
        result.put("idle", idle);
        result.put("refusals", run.refusals.snapshot());
        result.put("closes", run.closes.snapshot());
        System.out.println("idle: " + idle);
    }

    /** One memory reading before and with the connections, and its growth per connection (null if either end failed, -1). */
    private static void reading(Map<String, Object> p, String beforeKey, String afterKey, String perKey, long before, long after, int n) {
        p.put(beforeKey, before);
        p.put(afterKey, after);
        p.put(perKey, before >= 0 && after >= 0 ? (after - before) / n : null);
    }

    /** Heap used after a full GC, for every watched JVM other than this tool. */
    private Map<String, Long> heaps() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Watched w : monitor.watched()) {
            if (!w.name().equals("load-tool") && w.isJvm()) {
                out.put(w.name(), HeapProbe.usedAfterFullGc(w.pid()));
            }
        }
        return out;
    }

    private void closeAll(List<LoadClient> clients) {
        phase = "close";
        List<Future<Void>> closing = new ArrayList<>();
        for (LoadClient c : clients) {
            closing.add(c.close());
        }
        try {
            Future.join(closing).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("some connections did not close cleanly: " + e.getMessage());
        }
    }

    private void sleepTicks(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            tick(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    /** Waits up to ms (the run's clock: the progress line is due once a second), then reports progress. */
    private long lastTick = System.nanoTime();

    private void tick(long ms) throws InterruptedException {
        Thread.sleep(ms); // the tool's own pacing clock, not a wait for a condition
        if (System.nanoTime() - lastTick < 950_000_000L) {
            return;
        }
        double dt = (System.nanoTime() - lastTick) / 1e9;
        lastTick = System.nanoTime();
        double t = secondsSinceStart();
        Map<String, Double> cpu = monitor.sample();
        Latency.Interval li = run.latency.cut(t);
        long sends = run.sends.get();
        long deliveries = run.ledger.firstDeliveries();
        Long lag = null;
        if (history != null && phase.equals("measure") && history.lastSample() >= 0) {
            lag = history.lastSample();
        }
        StringBuilder line = new StringBuilder();
        line.append(String.format("[%s] %5.0fs %-7s conn %d/%d joined %d failed %d | sent/s %.0f deliv/s %.0f p99 %.1fms max %.1fms",
                opt.label(), t, phase, run.connected.get(), opt.clients(), run.joined.get(), run.failed.get(),
                (sends - lastProgressSends) / dt, (deliveries - lastProgressDeliveries) / dt, li.p99Ms(), li.maxMs()));
        if (run.refusals.total() > 0) {
            line.append(" refused ").append(run.refusals.snapshot());
        }
        if (run.ledger.problemsSoFar() > 0) {
            line.append(" !! dup/ooo/notjoined ").append(run.ledger.problemsSoFar());
        }
        if (lag != null) {
            line.append(" ingest-lag ").append(lag).append("ms");
        }
        if (churn != null) {
            line.append(" churn-live ").append(churn.live());
        }
        line.append(" | cpu");
        cpu.forEach((k, v) -> line.append(' ').append(k).append(' ').append(Math.round(v * 100)).append('%'));
        System.out.println(line);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("t", Math.round(t * 10) / 10.0);
        p.put("phase", phase);
        p.put("sentPerSecond", round1((sends - lastProgressSends) / dt));
        p.put("deliveriesPerSecond", round1((deliveries - lastProgressDeliveries) / dt));
        p.put("joined", run.joined.get());
        p.put("cpu", cpu);
        if (lag != null) {
            p.put("ingestLagMs", lag);
        }
        progress.add(p);
        lastProgressSends = sends;
        lastProgressDeliveries = deliveries;
    }

    private double secondsSinceStart() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
