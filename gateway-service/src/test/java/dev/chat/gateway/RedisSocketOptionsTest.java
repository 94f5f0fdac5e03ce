package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.chat.common.testing.KernelSockets;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every connection the gateway holds to Redis, Quarkus's command pool and its own subscriber alike, has TCP keep-alive:
 * a connection whose peer went away without a word is found by the kernel instead of held forever.
 */
@QuarkusTest
class RedisSocketOptionsTest {

    @Test
    void everyRedisConnectionHasKeepAlive() {
        List<KernelSockets.Connection> toRedis = KernelSockets.establishedTo(6379);
        assertFalse(toRedis.isEmpty(), "the gateway holds connections to Redis");
        for (KernelSockets.Connection connection : toRedis) {
            // An idle connection with keep-alive has its timer armed; one with data in flight shows its retransmission timer.
            assertNotEquals(KernelSockets.NO_TIMER, connection.timer(), "no keep-alive on " + connection);
        }
    }
}
