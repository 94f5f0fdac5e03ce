package dev.chat.gateway.publish;

import java.util.concurrent.ThreadLocalRandom;

/**
 * New room epochs: short random tokens, so a position from before a Redis data loss is never mistaken for a
 * current one. Every send carries one (the script uses it only for a new room): 63 random bits, not secret
 * (clients see them), so a per-thread generator rather than SecureRandom, which read /dev/urandom under a lock.
 */
final class Epochs {

    private Epochs() {
    }

    static String next() {
        return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }
}
