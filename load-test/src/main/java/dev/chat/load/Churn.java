package dev.chat.load;

import dev.chat.load.measure.Latency;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.LongAdder;

/**
 * Clients that come and go beside the held ones (hold and churn): at a steady rate, a client connects, joins one of
 * the held clients' rooms, stays a while and leaves, as clients do when a deploy or a flaky network sends them back.
 * What the held clients meet meanwhile (the servers' collectors and upgrade work) shows in their own latency; the
 * churning clients have their own counters, so the held clients' figures stay theirs.
 */
final class Churn {

    /** Churning clients in flight at most, as seconds of the rate beyond the hold: past it a due client is skipped. */
    private static final int LIVE_BOUND_EXTRA_SECONDS = 30;

    private final double rate;
    private final Duration hold;
    private final List<URI> targets;
    private final String roomPrefix;
    private final int rooms;
    private final String[] tokens;
    private final RunState run;
    private final Set<LoadClient> live = ConcurrentHashMap.newKeySet();
    private final int maxLive;
    private final LongAdder started = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder left = new LongAdder();
    private volatile boolean stopped;
    private Thread scheduler;
    /** From here the report counts; the start until {@link #measureFromNow}. */
    private long windowNanos;
    private long stopNanos;
    private long startedBeforeWindow;
    /** Connect+join times recorded before the measurement window (the warm-up's), taken off the report's. */
    private org.HdrHistogram.Histogram warmupJoins = new org.HdrHistogram.Histogram(3);

    /** {@code tokens}: one per churning user, reused round-robin (a user comes back after {@link #users} clients). */
    Churn(double rate, Duration hold, List<URI> targets, String roomPrefix, int rooms, String[] tokens, RunState run) {
        this.rate = rate;
        this.hold = hold;
        this.targets = targets;
        this.roomPrefix = roomPrefix;
        this.rooms = rooms;
        this.tokens = tokens;
        this.run = run;
        this.maxLive = (int) Math.ceil(rate * (hold.toMillis() / 1000.0 + LIVE_BOUND_EXTRA_SECONDS));
    }

    /** How many distinct users churn: enough that a user's previous connection has left before it comes back. */
    static int users(double rate, Duration hold) {
        return (int) Math.max(1, Math.ceil(rate * (hold.toMillis() / 1000.0 + 5)));
    }

    int live() {
        return live.size();
    }

    /** Starts the clients on a thread of its own that paces the rate, as the send scheduler does. */
    void start(Vertx vertx, WebSocketClient client) {
        long startNanos = System.nanoTime();
        windowNanos = startNanos;
        scheduler = new Thread(() -> {
            long n = 0;
            while (!stopped) {
                long due = (long) ((System.nanoTime() - startNanos) * rate / 1e9);
                for (; n < due && !stopped; n++) {
                    if (live.size() >= maxLive) {
                        skipped.increment(); // the servers fell behind: the bound keeps the tool's memory in check
                    } else {
                        launch(vertx, client, n);
                    }
                }
                LockSupport.parkNanos(2_000_000);
            }
        }, "churn-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    private void launch(Vertx vertx, WebSocketClient client, long n) {
        int i = (int) (n % Integer.MAX_VALUE);
        String room = rooms == 0 ? null : roomPrefix + (i % rooms);
        LoadClient c = new LoadClient(i, targets.get(Placement.target(i, rooms, targets.size())), room, tokens[i % tokens.length], run);
        live.add(c);
        started.increment();
        c.start(client).onComplete(ar -> {
            if (ar.succeeded() && !stopped) {
                vertx.setTimer(hold.toMillis(), t -> leave(c));
            } else {
                leave(c);
            }
        });
    }

    private void leave(LoadClient c) {
        boolean held = live.remove(c);
        if (held || stopped) { // after the stop, also a client whose connect completed only then
            c.close().onComplete(v -> {
                if (held) {
                    left.increment();
                }
            });
        }
    }

    /** The measurement window starts: the report's connect+join times and rate are the window's from here. */
    void measureFromNow() {
        windowNanos = System.nanoTime();
        startedBeforeWindow = started.sum();
        run.connectJoin.cut(0);
        warmupJoins = run.connectJoin.total();
    }

    /** Stops starting clients and closes the ones still here; completes once they are closed. */
    Future<Void> stop() throws InterruptedException {
        stopped = true;
        stopNanos = System.nanoTime();
        if (scheduler != null) {
            scheduler.join(5000);
        }
        List<Future<Void>> closing = new ArrayList<>();
        for (LoadClient c : List.copyOf(live)) {
            if (live.remove(c)) {
                closing.add(c.close());
            }
        }
        return Future.join(closing).mapEmpty();
    }

    Map<String, Object> report() {
        double seconds = Math.max(1e-9, (stopNanos - windowNanos) / 1e9);
        long inWindow = started.sum() - startedBeforeWindow;
        run.connectJoin.cut(seconds);
        org.HdrHistogram.Histogram joins = run.connectJoin.total();
        joins.subtract(warmupJoins);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("targetPerSecond", rate);
        m.put("holdSeconds", hold.toMillis() / 1000.0);
        m.put("started", started.sum());
        m.put("startedInWindow", inWindow);
        m.put("startedPerSecond", Math.round(inWindow / seconds * 10) / 10.0);
        m.put("joined", run.joined.get());
        m.put("failed", run.failed.get());
        m.put("skippedAtBound", skipped.sum());
        m.put("leftAfterHold", left.sum());
        // Joins completed inside the measurement window (the warm-up's, with the servers' JIT still cold, are not).
        m.put("connectJoin", Latency.summary(joins));
        m.put("refusals", run.refusals.snapshot());
        m.put("closes", run.closes.snapshot());
        return m;
    }
}
