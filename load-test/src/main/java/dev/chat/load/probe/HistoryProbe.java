package dev.chat.load.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chat.load.measure.DeliveryLedger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Measures the history service's ingest lag through its public replay API: the age of the oldest acked
 * message that is not stored yet (0 when the room is stored up to its newest ack), sampled once a second
 * during the run, and after the sends stop, how long until every room is stored up to its last ack.
 */
public final class HistoryProbe {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final String base;
    private final String token;
    private final DeliveryLedger ledger;
    private final List<Long> lagSamplesMs = new ArrayList<>();
    private int errors;

    public HistoryProbe(String baseUrl, String token, DeliveryLedger ledger) {
        this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.ledger = ledger;
    }

    /** Newest stored seq of a room, 0 when it has none, -1 on error. */
    long storedSeq(String room) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/rooms/" + URLEncoder.encode(room, StandardCharsets.UTF_8)
                    + "/messages?limit=1")).timeout(Duration.ofSeconds(3)).header("Authorization", "Bearer " + token).GET().build();
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() == 404) {
                return 0;
            }
            if (res.statusCode() != 200) {
                errors++;
                return -1;
            }
            JsonNode messages = json.readTree(res.body()).path("messages");
            return messages.isEmpty() ? 0 : messages.get(messages.size() - 1).path("seq").asLong(0);
        } catch (Exception e) {
            errors++;
            return -1;
        }
    }

    /** One sample on one room; returns the lag in ms, or -1 when it could not be read. */
    public synchronized long sample(String room) {
        long stored = storedSeq(room);
        if (stored < 0) {
            return -1;
        }
        long oldest = ledger.oldestUnstoredTs(room, "", stored);
        long lag = oldest < 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldest);
        lagSamplesMs.add(lag);
        return lag;
    }

    /**
     * Polls every acked room until each is stored up to its newest ack; ms from {@code sendsStoppedNanos} (a
     * {@link System#nanoTime()}) until it found that, or -1 on timeout. Called once the drain ends, so a catch-up that
     * finished during the drain reads as the drain's length: an upper bound.
     */
    public long catchUp(long sendsStoppedNanos, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> behind = new HashSet<>(ledger.ackedRooms());
        while (!behind.isEmpty() && System.nanoTime() < deadline) {
            behind.removeIf(room -> storedSeq(room) >= ledger.maxAckedSeq(room, ""));
            if (!behind.isEmpty()) {
                try {
                    Thread.sleep(100); // pacing the polls of an external service, not waiting for our own state
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
        }
        return behind.isEmpty() ? (System.nanoTime() - sendsStoppedNanos) / 1_000_000 : -1;
    }

    /**
     * Samples one room a second (round-robin over the acked rooms) on a thread of its own, so a slow
     * history service never delays the tool's clock. Returns a handle that stops the sampling. Start it with the
     * warm-up: the first requests load and compile the tool's HTTP client, a stall of the tool's own that would
     * otherwise land in the measured window and in the latency of the system being measured.
     */
    public AutoCloseable sampleEverySecond() {
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "history-probe");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicLong turn = new java.util.concurrent.atomic.AtomicLong();
        timer.scheduleWithFixedDelay(() -> {
            List<String> rooms = new ArrayList<>(ledger.ackedRooms());
            if (!rooms.isEmpty()) {
                rooms.sort(null);
                sample(rooms.get((int) (turn.getAndIncrement() % rooms.size())));
            }
        }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return () -> {
            timer.shutdownNow();
            timer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        };
    }

    /** From now on only new samples and errors count: the window starts. */
    public synchronized void startWindow() {
        lagSamplesMs.clear();
        errors = 0;
    }

    /** The newest lag sample, or -1 before the first. */
    public synchronized long lastSample() {
        return lagSamplesMs.isEmpty() ? -1 : lagSamplesMs.get(lagSamplesMs.size() - 1);
    }

    public synchronized List<Long> samples() {
        return List.copyOf(lagSamplesMs);
    }

    public synchronized int errors() {
        return errors;
    }
}
