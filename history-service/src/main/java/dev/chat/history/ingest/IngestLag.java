package dev.chat.history.ingest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;

/**
 * How far storage is behind Redis: per room, the newest seq this instance knows of (live, or read from
 * the room's counter) minus the seq up to which everything is stored. Exported as the sum over rooms
 * ({@code chat_history_ingest_lag}) and the worst room ({@code chat_history_ingest_lag_max}). Computed
 * by the periodic sweep from state it walks anyway, so a scrape costs two volatile reads.
 */
final class IngestLag {

    private volatile long total;
    private volatile long max;

    IngestLag(MeterRegistry registry) {
        Gauge.builder("chat.history.ingest.lag", this, IngestLag::total)
                .description("Messages in Redis not yet stored, summed over rooms (newest seq known minus newest stored)")
                .register(registry);
        Gauge.builder("chat.history.ingest.lag.max", this, IngestLag::max)
                .description("Messages in Redis not yet stored, in the room furthest behind").register(registry);
    }

    /** Called on the ingest context. Rooms whose stored position is not read yet count from the next sweep on. */
    void update(Collection<RoomProgress> rooms) {
        long sum = 0;
        long worst = 0;
        for (RoomProgress p : rooms) {
            if (p.knowsWatermark() && p.highestSeen > p.watermark) {
                long behind = p.highestSeen - p.watermark;
                sum += behind;
                worst = Math.max(worst, behind);
            }
        }
        total = sum;
        max = worst;
    }

    long total() {
        return total;
    }

    long max() {
        return max;
    }
}
