package dev.chat.gateway.connection;

import java.time.Duration;

/**
 * When each client of a draining gateway is told to reconnect: in equal batches spread over a window,
 * so the gateways that remain take the clients over at a steady rate instead of all in one instant.
 *
 * @param clients connections to tell
 * @param batches how many batches (at least one, at most one per client)
 * @param window  time between the first batch and the end of the spread; batch {@code i} goes at {@code window * i / batches}
 */
record DrainSchedule(int clients, int batches, Duration window) {

    /** Batches at least this far apart: finer steps spread no better and cost a wake-up each. */
    static final Duration MIN_BATCH_INTERVAL = Duration.ofMillis(100);

    /** The schedule for {@code clients} over {@code spread} of the drain timeout (0: everyone at once). */
    static DrainSchedule of(int clients, Duration drainTimeout, double spread) {
        Duration window = Duration.ofMillis((long) (drainTimeout.toMillis() * Math.max(0, Math.min(1, spread))));
        long steps = window.toMillis() / MIN_BATCH_INTERVAL.toMillis();
        int batches = (int) Math.max(1, Math.min(clients, steps));
        return new DrainSchedule(clients, batches, batches == 1 ? Duration.ZERO : window);
    }

    /** Time from the start of the drain at which batch {@code batch} is told. */
    Duration offset(int batch) {
        return window.multipliedBy(batch).dividedBy(batches);
    }

    /** Index of the first client of {@code batch}; batch sizes differ by at most one. */
    int firstOf(int batch) {
        return (int) ((long) clients * batch / batches);
    }
}
