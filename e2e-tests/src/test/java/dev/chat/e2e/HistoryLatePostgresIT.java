package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13: a PostgreSQL that comes up after the history service (a fresh cluster, a failover). History waits for it
 * (Flyway's connect retries) instead of exiting and restart-looping, then migrates and serves reads.
 */
class HistoryLatePostgresIT {

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void historyWaitsForALatePostgresAndStartsCleanly() {
        try (OwnRedisServer redis = OwnRedisServer.start("late-pg-redis"); OwnPostgres postgres = OwnPostgres.start()) {
            postgres.stop();
            ServiceProcess history = ServiceProcess.history("history-late-pg", redis.url(), postgres.database());
            try {
                CompletableFuture<ServiceProcess> start = CompletableFuture.supplyAsync(history::start);
                // For 10 s without a database (its connect retries are 5 s apart): still running, not ready.
                await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                        .until(() -> !start.isDone() && history.readyStatus() != 200);

                postgres.startServer();
                start.join();

                assertEquals(200, history.readyStatus());
                assertEquals(List.of("4"), postgres.query("select count(*) from flyway_schema_history where success and version is not null"));
                // Reads work: an unknown room is a clean 404, not a 503.
                assertEquals(404, history.get("/rooms/nothing-here/messages", "alice").statusCode());
            } finally {
                history.close();
            }
        }
    }
}
