package dev.chat.gateway.direct;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Each user's direct-message rooms, scored by the time of their latest message, written before the message is
 * published. It is what lets a gateway that was cut off from Redis find a direct message in a room it had never
 * delivered to that user: the sequencers only know rooms they have seen.
 */
@ApplicationScoped
public class DirectRoomIndex {

    private static final LuaScript INDEX = LuaScript.fromResource("scripts/direct-index.lua");
    /**
     * A room this gateway indexed less than this long ago is not written again, so a conversation costs its sends an
     * extra round trip once a minute, not every time; readers look back this much further.
     */
    static final long REFRESH_MS = 60_000;
    /** Bound on the rooms remembered as recently indexed; when full it starts over (a few extra writes). */
    private static final int REMEMBERED = 100_000;

    private final java.util.concurrent.ConcurrentHashMap<String, Long> indexedAt = new java.util.concurrent.ConcurrentHashMap<>();

    private final ReactiveRedisDataSource redis;
    private final String retentionMs;

    public DirectRoomIndex(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.retentionMs = Long.toString(config.direct().indexRetention().toMillis());
    }

    /** Records a message about to be sent in {@code room} for both participants (one user's keys per script: one slot each). */
    public Uni<Void> record(String room, String from, String to) {
        long now = System.currentTimeMillis();
        Long last = indexedAt.get(room);
        if (last != null && now - last < REFRESH_MS) {
            return Uni.createFrom().voidItem();
        }
        Uni<Void> sender = INDEX.run(redis, List.of(RoomKeys.directRooms(from)), List.of(room, retentionMs)).replaceWithVoid();
        Uni<Void> both = from.equals(to) ? sender : Uni.combine().all().unis(sender,
                INDEX.run(redis, List.of(RoomKeys.directRooms(to)), List.of(room, retentionMs)).replaceWithVoid()).discardItems();
        return both.invoke(() -> {
            if (indexedAt.size() >= REMEMBERED) {
                indexedAt.clear();
            }
            indexedAt.put(room, now);
        });
    }
}
