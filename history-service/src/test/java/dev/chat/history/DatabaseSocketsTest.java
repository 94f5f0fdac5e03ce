package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.testing.KernelSockets;
import dev.chat.history.store.MessageWriter;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The connections history holds to PostgreSQL (the pool Hibernate Reactive writes through) and to Redis have TCP
 * keep-alive: a connection whose peer went away without a word is found by the kernel instead of held forever. And
 * the database connections keep ingest's statement prepared, however long its text, and plan each batch for its own
 * parameters.
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
    void ingestsBatchStatementIsParsedOncePerConnectionAndPlannedForEachBatch() {
        Tuple emptyBatch = Tuple.tuple(List.of(new String[0], new Long[0], new String[0], new String[0], new Long[0],
                new String[0], new Boolean[0], new String[0], new Long[0]));
        int batches = 7;
        Row prepared = pool.withConnection(connection -> Multi.createFrom().range(0, batches)
                .onItem().transformToUniAndConcatenate(i -> connection.preparedQuery(MessageWriter.BATCH).execute(emptyBatch))
                .collect().last()
                .chain(() -> connection.preparedQuery("select count(*) over (), generic_plans, custom_plans, "
                        + "current_setting('plan_cache_mode') from pg_prepared_statements where statement = $1")
                        .execute(Tuple.of(MessageWriter.BATCH)))
                .map(rows -> rows.iterator().hasNext() ? rows.iterator().next() : null))
                .await().atMost(Duration.ofSeconds(10));
        assertNotNull(prepared, "the connection keeps the batch statement prepared for the next batch");
        assertEquals(1, prepared.getLong(0), "prepared once");
        // Past five executions PostgreSQL may switch to a generic plan, made once with the table sizes of that moment.
        assertEquals("force_custom_plan", prepared.getString(3), "no batch can run a generic plan");
        assertEquals(0, prepared.getLong(1), "no batch ran a generic plan");
        // At least: ingest may have written batches on this connection before.
        assertTrue(prepared.getLong(2) >= batches, "each batch was planned for its own parameters");
    }
}
