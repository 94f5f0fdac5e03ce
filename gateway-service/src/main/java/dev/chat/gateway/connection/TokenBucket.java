package dev.chat.gateway.connection;

/** A token bucket: {@code rate} tokens per second, at most {@code burst} saved up. Thread-safe. */
public final class TokenBucket {

    private final double ratePerMilli;
    private final double burst;
    private double tokens;
    private long last;

    public TokenBucket(double ratePerSecond, int burst) {
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.last = System.currentTimeMillis();
    }

    public synchronized boolean tryTake() {
        refill();
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** Whether the bucket is full again: a caller it stands for has nothing to remember. */
    public synchronized boolean isFull() {
        refill();
        return tokens >= burst;
    }

    private void refill() {
        long now = System.currentTimeMillis();
        tokens = Math.min(burst, tokens + (now - last) * ratePerMilli);
        last = now;
    }
}
