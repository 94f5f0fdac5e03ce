package dev.chat.gateway.presence;

import dev.chat.common.redis.RedisLayout;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Typing signals: published on the room channel, never stored, and passed on at most once per
 * interval per user and room (the rest carry no news). Kept per user, so forgetting a user who
 * closed their last connection costs O(their rooms); a user's rooms older than the interval are dropped as more come,
 * so a client typing in ever new rooms holds no more than it typed in within one interval.
 */
@ApplicationScoped
public class TypingSignals {

    /** A user's rooms kept before those older than the interval are dropped (they allow the next signal as a missing one does). */
    static final int PRUNE_AT = 32;

    private final ReactiveRedisDataSource redis;
    private final RedisLayout layout;
    private final long intervalMillis;
    private final ConcurrentHashMap<String, Map<String, Long>> lastSignal = new ConcurrentHashMap<>();

    @Inject
    public TypingSignals(ReactiveRedisDataSource redis, GatewayConfig config, RedisLayout layout) {
        this(redis, layout, config.typingInterval().toMillis());
    }

    TypingSignals(ReactiveRedisDataSource redis, RedisLayout layout, long intervalMillis) {
        this.redis = redis;
        this.layout = layout;
        this.intervalMillis = intervalMillis;
    }

    /** Publishes the encoded typing frame unless this user signalled typing in this room within the interval. */
    public Uni<Void> signal(String user, String room, String frame) {
        if (!allowed(user, room)) {
            return Uni.createFrom().voidItem();
        }
        return redis.execute(layout.publishCommand(), layout.roomChannel(room), frame).replaceWithVoid();
    }

    boolean allowed(String user, String room) {
        return allowed(user, room, System.currentTimeMillis());
    }

    boolean allowed(String user, String room, long now) {
        boolean[] allowed = {false};
        Map<String, Long> rooms = lastSignal.computeIfAbsent(user, u -> new ConcurrentHashMap<>());
        if (rooms.size() >= PRUNE_AT) {
            rooms.values().removeIf(last -> now - last >= intervalMillis);
        }
        rooms.compute(room, (key, last) -> {
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

    /** Rooms with typing state held here for {@code user} (tests and diagnostics). */
    int trackedRooms(String user) {
        Map<String, Long> rooms = lastSignal.get(user);
        return rooms == null ? 0 : rooms.size();
    }

    /** Users with typing state held here (tests and diagnostics). */
    public int trackedUsers() {
        return lastSignal.size();
    }
}
