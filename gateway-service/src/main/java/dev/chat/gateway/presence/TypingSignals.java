package dev.chat.gateway.presence;

import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Typing signals: published on the room channel, never stored, and passed on at most once per
 * interval per user and room (the rest carry no news). Kept per user, so forgetting a user who
 * closed their last connection costs O(their rooms).
 */
@ApplicationScoped
public class TypingSignals {

    private final ReactiveRedisDataSource redis;
    private final RedisLayout layout;
    private final long intervalMillis;
    private final ConcurrentHashMap<String, Map<String, Long>> lastSignal = new ConcurrentHashMap<>();

    public TypingSignals(ReactiveRedisDataSource redis, GatewayConfig config, RedisLayout layout) {
        this.redis = redis;
        this.layout = layout;
        this.intervalMillis = config.typingInterval().toMillis();
    }

    /** Publishes the encoded typing frame unless this user signalled typing in this room within the interval. */
    public Uni<Void> signal(String user, String room, String frame) {
        if (!allowed(user, room)) {
            return Uni.createFrom().voidItem();
        }
        return redis.execute(layout.publishCommand(), layout.roomChannel(room), frame).replaceWithVoid();
    }

    boolean allowed(String user, String room) {
        long now = System.currentTimeMillis();
        boolean[] allowed = {false};
        lastSignal.computeIfAbsent(user, u -> new ConcurrentHashMap<>()).compute(room, (key, last) -> {
            if (last == null || now - last >= intervalMillis) {
                allowed[0] = true;
                return now;
            }
            return last;
        });
        return allowed[0];
    }

    /** The user has no connection left on this gateway. */
    public void forget(String user) {
        lastSignal.remove(user);
    }

    /** Users with typing state held here (tests and diagnostics). */
    public int trackedUsers() {
        return lastSignal.size();
    }
}
