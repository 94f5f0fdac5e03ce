package dev.chat.load.measure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latency in microseconds, recorded from any thread (HdrHistogram Recorder), cut into one-second
 * intervals for the timeline and summed for the run's percentiles.
 */
public final class Latency {

    /** One interval of the timeline. */
    public record Interval(double second, long count, double p50Ms, double p99Ms, double maxMs) {
    }

    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final List<Interval> timeline = new ArrayList<>();
    private Histogram reuse;

    public void recordMicros(long micros) {
        recorder.recordValue(Math.max(0, micros));
    }

    /** Closes the current interval (called once a second by one thread) and returns it. */
    public synchronized Interval cut(double second) {
        reuse = recorder.getIntervalHistogram(reuse);
        total.add(reuse);
        Interval i = new Interval(second, reuse.getTotalCount(), ms(reuse.getValueAtPercentile(50)),
                ms(reuse.getValueAtPercentile(99)), ms(reuse.getMaxValue()));
        if (reuse.getTotalCount() > 0) {
            timeline.add(i);
        }
        return i;
    }

    public synchronized Histogram total() {
        return total.copy();
    }

    public synchronized List<Interval> timeline() {
        return List.copyOf(timeline);
    }

    /** p50, p90, p99, p99.9 and max in milliseconds, plus the count. */
    public static Map<String, Object> summary(Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.getTotalCount());
        m.put("p50Ms", ms(h.getValueAtPercentile(50)));
        m.put("p90Ms", ms(h.getValueAtPercentile(90)));
        m.put("p99Ms", ms(h.getValueAtPercentile(99)));
        m.put("p999Ms", ms(h.getValueAtPercentile(99.9)));
        m.put("maxMs", ms(h.getMaxValue()));
        m.put("meanMs", Math.round(h.getMean()) / 1000.0);
        return m;
    }

    /** The distribution for the report: (percentile, ms) pairs at 1, 2, 4, ... per-mille steps towards 100. */
    public static List<double[]> distribution(Histogram h) {
        List<double[]> points = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return points;
        }
        for (double p : new double[] {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100}) {
            points.add(new double[] {p, ms(h.getValueAtPercentile(p))});
        }
        return points;
    }

    static double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }
}
