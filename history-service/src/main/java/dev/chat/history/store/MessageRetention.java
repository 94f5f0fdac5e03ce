package dev.chat.history.store;

import dev.chat.history.HistoryConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Deletes stored messages older than {@code chat.retention.max-age} (off by default), in small batches found through
 * the {@code messages_ts} index, so it never holds long locks or one huge transaction. Replicas running it at the same
 * time skip each other's rows instead of waiting on them.
 */
@ApplicationScoped
public class MessageRetention {

    static final String DELETE_BATCH = """
            delete from messages where ctid = any(array(
                select ctid from messages where ts < $1 order by ts limit $2 for update skip locked))
            """;

    private final Pool pool;
    private final HistoryConfig.Retention config;
    private final Counter deleted;

    public MessageRetention(Pool pool, HistoryConfig config, MeterRegistry registry) {
        this.pool = pool;
        this.config = config.retention();
        this.deleted = Counter.builder("chat.history.retention.deleted")
                .description("Messages deleted because they were older than chat.retention.max-age").register(registry);
    }

    @Scheduled(every = "${chat.retention.interval:1H}", delay = 1, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> run() {
        if (config.maxAge().isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        long cutoff = System.currentTimeMillis() - config.maxAge().get().toMillis();
        return purgeOlderThan(cutoff)
                .invoke(count -> {
                    if (count > 0) {
                        Log.infof("Retention deleted %d messages older than %s", count, config.maxAge().get());
                    }
                })
                .onFailure().invoke(failure -> Log.warnf("Retention failed (%s); next run in %s", failure.getMessage(), config.interval()))
                .onFailure().recoverWithNull()
                .replaceWithVoid();
    }

    /** Deletes every message with {@code ts < cutoff} (epoch ms), batch after batch; returns how many. */
    public Uni<Long> purgeOlderThan(long cutoff) {
        AtomicLong total = new AtomicLong();
        return deleteBatch(cutoff, total);
    }

    private Uni<Long> deleteBatch(long cutoff, AtomicLong total) {
        return pool.preparedQuery(DELETE_BATCH).execute(Tuple.of(cutoff, config.batchSize())).chain(result -> {
            int count = result.rowCount();
            total.addAndGet(count);
            deleted.increment(count);
            return count < config.batchSize() ? Uni.createFrom().item(total.get()) : deleteBatch(cutoff, total);
        });
    }
}
