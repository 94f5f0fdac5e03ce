package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.chat.common.testing.KernelSockets;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The connections history holds to PostgreSQL (the pool Hibernate Reactive writes through) and to Redis have TCP
 * keep-alive: a connection whose peer went away without a word is found by the kernel instead of held forever.
 */
@QuarkusTest
class DatabaseSocketsTest {

    @Inject
    Pool pool;

    @Test
    void everyDatabaseAndRedisConnectionHasKeepAlive() {
        pool.query("SELECT 1").execute().await().atMost(Duration.ofSeconds(10));
        for (int port : new int[] {5432, 6379}) {
            List<KernelSockets.Connection> connections = KernelSockets.establishedTo(port);
            assertFalse(connections.isEmpty(), "history holds connections to port " + port);
            for (KernelSockets.Connection connection : connections) {
                // An idle connection with keep-alive has its timer armed; one with data in flight shows its retransmission timer.
                assertNotEquals(KernelSockets.NO_TIMER, connection.timer(), "no keep-alive on " + connection + " to port " + port);
            }
        }
    }
}
