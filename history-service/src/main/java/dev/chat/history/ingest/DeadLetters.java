package dev.chat.history.ingest;

import dev.chat.history.HistoryConfig;
import dev.chat.history.store.ChatMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Request;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the messages ingest cannot store (refused by PostgreSQL for good, failing alone while others pass, or a second
 * message for a stored (room, seq)) in a Redis stream with the reason, so nothing acknowledged disappears silently and
 * an operator can look at, fix and re-insert them. Bounded by MAXLEN; each entry also goes to the log.
 */
/* Created at start, so its counter is exported (at 0) before the first dead letter. */
@Startup
@Singleton
public class DeadLetters {

    private final ReactiveRedisDataSource redis;
    private final HistoryConfig.Ingest config;
    private final Counter deadLettered;

    public DeadLetters(ReactiveRedisDataSource redis, HistoryConfig config, MeterRegistry registry) {
        this.redis = redis;
        this.config = config.ingest();
        this.deadLettered = Counter.builder("chat.history.ingest.dead.lettered")
                .description("Messages that could not be stored, kept in the dead-letter stream with the reason").register(registry);
    }

    /** Appends the message to the dead-letter stream; a Redis failure is logged with the whole message, never thrown. */
    public Uni<Void> add(ChatMessage m, String reason) {
        return addAll(List.of(m), reason);
    }

    /**
     * Appends the messages in one pipeline on one connection: a batch's worth of conflicts at once (Redis handed a stretch
     * of seqs out twice) would otherwise ask the pool for a connection each, and those past its wait queue would fail.
     * A Redis failure is logged with every message, never thrown.
     */
    public Uni<Void> addAll(List<ChatMessage> messages, String reason) {
        if (messages.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        deadLettered.increment(messages.size());
        List<Request> appends = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Request append = Request.cmd(Command.XADD).arg(config.deadLetterStream()).arg("MAXLEN").arg("~")
                    .arg(config.deadLetterMaxLength()).arg("*").arg("room").arg(m.room()).arg("seq").arg(m.seq())
                    .arg("from").arg(m.from()).arg("text").arg(m.text()).arg("ts").arg(m.ts()).arg("reason").arg(reason);
            if (m.cid() != null) {
                append.arg("cid").arg(m.cid());
            }
            appends.add(append);
        }
        return redis.getRedis().batch(appends).replaceWithVoid().onFailure().recoverWithUni(failure -> {
            for (ChatMessage m : messages) {
                Log.errorf("Could not add message %d of room %s to the dead-letter stream (%s); it was: %s (reason: %s)", m.seq(),
                        m.room(), failure.getMessage(), m, reason);
            }
            return Uni.createFrom().voidItem();
        });
    }
}
