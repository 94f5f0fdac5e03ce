package dev.chat.gateway.publish;

import java.security.SecureRandom;

/** New room epochs: short random tokens, so a position from before a Redis data loss is never mistaken for a current one. */
final class Epochs {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Epochs() {
    }

    static String next() {
        return Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
    }
}
