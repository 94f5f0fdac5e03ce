package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.chat.common.testing.KernelSockets;
import dev.chat.history.store.MessageWriter;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The connections history holds to PostgreSQL (the pool Hibernate Reactive writes through) and to Redis have TCP
 * keep-alive: a connection whose peer went away without a word is found by the kernel instead of held forever. And
 * the database connections keep ingest's statement prepared, however long its text.
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

    @Test
    void ingestsBatchStatementIsParsedOncePerConnectionAndThenReused() {
        Tuple emptyBatch = Tuple.tuple(List.of(new String[0], new Long[0], new String[0], new String[0], new Long[0],
                new String[0], new Boolean[0], new String[0], new Long[0]));
        long prepared = pool.withConnection(connection -> connection.preparedQuery(MessageWriter.BATCH).execute(emptyBatch)
                .chain(() -> connection.preparedQuery(MessageWriter.BATCH).execute(emptyBatch))
                .chain(() -> connection.preparedQuery("select count(*) from pg_prepared_statements where statement = $1")
                        .execute(Tuple.of(MessageWriter.BATCH)))
                .map(rows -> rows.iterator().next().getLong(0)))
                .await().atMost(Duration.ofSeconds(10));
        assertEquals(1, prepared, "the connection holds the batch statement prepared once, for every later batch");
    }
}
