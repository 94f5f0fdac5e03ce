package dev.chat.load.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.chat.load.measure.DeliveryLedger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ingest-lag probe reads the replay API's newest stored seq. It samples from the warm-up on (so its first
 * requests, which load the tool's HTTP client, fall outside the measured window), and reports only what it sampled
 * in the window. A JDK HTTP server plays the replay API's one response shape.
 */
class HistoryProbeTest {

    private final AtomicLong storedSeq = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private HttpServer replay;

    @BeforeEach
    void startReplayApi() throws Exception {
        replay = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        replay.createContext("/rooms/", exchange -> {
            requests.incrementAndGet();
            byte[] body = ("{\"room\":\"r\",\"messages\":[{\"seq\":" + storedSeq.get() + "}],\"hasMore\":false}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        replay.start();
    }

    @AfterEach
    void stopReplayApi() {
        replay.stop(0);
    }

    @Test
    void onlyTheWindowsSamplesAreReported() {
        DeliveryLedger ledger = new DeliveryLedger();
        ledger.sent("c1", "r", System.nanoTime());
        ledger.acked("c1", "r", "", 1, System.currentTimeMillis() - 5_000);
        HistoryProbe probe = new HistoryProbe("http://127.0.0.1:" + replay.getAddress().getPort(), "token", ledger);

        long warmUpLag = probe.sample("r");
        assertTrue(warmUpLag >= 5_000, "seq 1 is acked and not stored: " + warmUpLag);
        assertEquals(1, probe.samples().size());

        probe.startWindow();
        assertEquals(List.of(), probe.samples());

        storedSeq.set(1);
        assertEquals(0, probe.sample("r"));
        assertEquals(List.of(0L), probe.samples());
        assertEquals(0, probe.errors());
        assertEquals(2, requests.get());
    }
}
