package dev.chat.history.ingest;

import dev.chat.history.HistoryConfig;
import dev.chat.history.store.ChatMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
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
        deadLettered.increment();
        List<String> args = new ArrayList<>(List.of(config.deadLetterStream(), "MAXLEN", "~", Integer.toString(config.deadLetterMaxLength()),
                "*", "room", m.room(), "seq", Long.toString(m.seq()), "from", m.from(), "text", m.text(), "ts", Long.toString(m.ts()),
                "reason", reason));
        if (m.cid() != null) {
            args.add("cid");
            args.add(m.cid());
        }
        return redis.execute("XADD", args.toArray(new String[0])).replaceWithVoid().onFailure().recoverWithUni(failure -> {
            Log.errorf("Could not add message %d of room %s to the dead-letter stream (%s); it was: %s (reason: %s)", m.seq(), m.room(),
                    failure.getMessage(), m, reason);
            return Uni.createFrom().voidItem();
        });
    }
}
