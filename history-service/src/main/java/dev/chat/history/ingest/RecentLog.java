package dev.chat.history.ingest;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.store.ChatMessage;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.stream.ReactiveStreamCommands;
import io.quarkus.redis.datasource.stream.StreamMessage;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;

/** Reads a room's recent log (the Redis stream the gateway appends to), to fill gaps in what history received live. */
@Singleton
public class RecentLog {

    private final ReactiveStreamCommands<String, String, String> streams;
    private final Payloads payloads;

    public RecentLog(ReactiveRedisDataSource redis, Payloads payloads) {
        this.streams = redis.stream(String.class, String.class, String.class);
        this.payloads = payloads;
    }

    /**
     * Up to {@code count} entries with {@code from <= seq <= to}, ascending. Entry IDs are
     * {@code <seq>-0}, so the seq range is the ID range; seqs missing in between were trimmed.
     */
    public Uni<Chunk> read(String room, long from, long to, int count) {
        return streams.xrange(RoomKeys.log(room), StreamRange.of(from + "-0", to + "-0"), count).map(entries -> {
            List<ChatMessage> messages = new ArrayList<>(entries.size());
            long last = from - 1;
            for (StreamMessage<String, String, String> entry : entries) {
                String id = entry.id();
                int dash = id.indexOf('-');
                last = Long.parseLong(dash < 0 ? id : id.substring(0, dash));
                String payload = entry.payload().get("m");
                ChatMessage message = payload == null ? null : payloads.parse(room, payload);
                if (message != null && message.seq() == last) {
                    messages.add(message);
                }
            }
            return new Chunk(messages, entries.size() == count, last);
        });
    }

    /**
     * One XRANGE answer: the storable messages, whether the count was reached (more may follow), and
     * the seq of the last entry read ({@code from - 1} when none).
     */
    public record Chunk(List<ChatMessage> messages, boolean full, long lastSeq) {
    }
}
