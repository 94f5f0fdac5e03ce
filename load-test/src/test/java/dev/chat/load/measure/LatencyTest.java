package dev.chat.load.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyTest {

    @Test
    void percentilesOfAKnownSpread() {
        Latency l = new Latency();
        for (int ms = 1; ms <= 1000; ms++) {
            l.recordMicros(ms * 1000L);
        }
        l.cut(1);
        Map<String, Object> s = Latency.summary(l.total());
        assertEquals(1000L, s.get("count"));
        assertClose(500, (double) s.get("p50Ms"));
        assertClose(900, (double) s.get("p90Ms"));
        assertClose(990, (double) s.get("p99Ms"));
        assertClose(999, (double) s.get("p999Ms"));
        assertClose(1000, (double) s.get("maxMs"));
    }

    @Test
    void intervalsSplitTheTimelineAndAddUpInTheTotal() {
        Latency l = new Latency();
        l.recordMicros(2000);
        Latency.Interval first = l.cut(1);
        l.recordMicros(50_000);
        l.recordMicros(50_000);
        Latency.Interval second = l.cut(2);
        assertEquals(1, first.count());
        assertClose(2, first.maxMs());
        assertEquals(2, second.count());
        assertClose(50, second.p50Ms());
        assertEquals(3, l.total().getTotalCount());
        assertEquals(2, l.timeline().size());
        l.cut(3);
        assertEquals(2, l.timeline().size(), "empty seconds are left out of the timeline");
    }

    @Test
    void distributionRisesWithThePercentile() {
        Latency l = new Latency();
        for (int i = 0; i < 10_000; i++) {
            l.recordMicros(i);
        }
        l.cut(1);
        double prev = -1;
        for (double[] p : Latency.distribution(l.total())) {
            assertTrue(p[1] >= prev);
            prev = p[1];
        }
    }

    private static void assertClose(double expected, double actual) {
        assertTrue(Math.abs(expected - actual) <= expected * 0.01 + 0.01, "expected about " + expected + " but was " + actual);
    }
}
