package dev.chat.gateway.connection;

/** A token bucket: {@code rate} tokens per second, at most {@code burst} saved up. Thread-safe. */
final class TokenBucket {

    private final double ratePerMilli;
    private final double burst;
    private double tokens;
    private long last;

    TokenBucket(double ratePerSecond, int burst) {
        this.ratePerMilli = ratePerSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.last = System.currentTimeMillis();
    }

    synchronized boolean tryTake() {
        long now = System.currentTimeMillis();
        tokens = Math.min(burst, tokens + (now - last) * ratePerMilli);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
