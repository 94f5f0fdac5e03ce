package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13: a PostgreSQL that comes up after the history service (a fresh cluster, a failover). History waits for it
 * (Flyway's connect retries) instead of exiting and restart-looping, then migrates and serves reads.
 */
class HistoryLatePostgresIT {

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void historyWaitsForALatePostgresAndStartsCleanly() throws IOException {
        try (OwnRedisServer redis = OwnRedisServer.start("late-pg-redis"); OwnPostgres postgres = OwnPostgres.start()) {
            postgres.stop();
            ServiceProcess history = ServiceProcess.history("history-late-pg", redis.url(), postgres.database());
            try {
                CompletableFuture<ServiceProcess> start = CompletableFuture.supplyAsync(history::start);
                // For 6 s without a database, past its first connect retry (they are 5 s apart): still running, not ready.
                await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10))
                        .until(() -> !start.isDone() && history.readyStatus() != 200);

                postgres.startServer();
                start.join();

                assertEquals(200, history.readyStatus());
                // Every versioned migration the service ships ran, and none failed.
                assertEquals(List.of(Long.toString(shippedMigrations())),
                        postgres.query("select count(*) from flyway_schema_history where success and version is not null"));
                // Reads work: an unknown room is a clean 404, not a 503.
                assertEquals(404, history.get("/rooms/nothing-here/messages", "alice").statusCode());
            } finally {
                history.close();
            }
        }
    }

    /** The history service's versioned migrations (V<n>__*.sql). */
    private static long shippedMigrations() throws IOException {
        try (Stream<Path> files = Files.list(ServiceProcess.ROOT.resolve("history-service/src/main/resources/db/migration"))) {
            return files.filter(file -> file.getFileName().toString().matches("V\\d+__.+\\.sql")).count();
        }
    }
}
