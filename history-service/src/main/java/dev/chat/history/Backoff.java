package dev.chat.history;

import java.time.Duration;

/** Exponential backoff shared by every retry loop: each delay doubles the last, up to a ceiling, until a success resets it. */
public final class Backoff {

    private final long minMs;
    private final long maxMs;
    private long nextMs;

    public Backoff(Duration min, Duration max) {
        this.minMs = min.toMillis();
        this.maxMs = max.toMillis();
        this.nextMs = minMs;
    }

    /** The delay to wait before the next attempt; the one after it will be twice as long, up to the ceiling. */
    public long next() {
        long delay = nextMs;
        nextMs = Math.min(nextMs * 2, maxMs);
        return delay;
    }

    /** After a success: the next failure waits the shortest delay again. */
    public void reset() {
        nextMs = minMs;
    }
}
