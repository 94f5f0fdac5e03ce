package dev.chat.gateway.activity;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import dev.chat.gateway.GatewayConfig;

/**
 * Joins and read markers, appended to a Redis Stream ({@code chat:activity}) that the history service
 * consumes with a consumer group into PostgreSQL, for {@code GET /users/me/rooms} and unread counts.
 */
@ApplicationScoped
public class ActivityLog {

    private static final String MAX_LENGTH = "1000000";

    private final ReactiveRedisDataSource redis;
    private final String stream;

    public ActivityLog(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.stream = config.activityStream();
    }

    public Uni<Void> joined(String user, String room) {
        return append("join", user, room, 0);
    }

    /** Everything up to {@code seq} in {@code room} was read by {@code user}; history keeps the highest per user and room. */
    public Uni<Void> read(String user, String room, long seq) {
        return append("read", user, room, seq);
    }

    private Uni<Void> append(String type, String user, String room, long seq) {
        return redis.execute("XADD", stream, "MAXLEN", "~", MAX_LENGTH, "*", "type", type, "user", user, "room", room,
                "seq", Long.toString(seq), "ts", Long.toString(System.currentTimeMillis())).replaceWithVoid();
    }
}
