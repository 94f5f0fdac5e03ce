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

    private final ReactiveRedisDataSource redis;
    private final String retentionMs;

    public DirectRoomIndex(ReactiveRedisDataSource redis, GatewayConfig config) {
        this.redis = redis;
        this.retentionMs = Long.toString(config.direct().indexRetention().toMillis());
    }

    /** Records a message about to be sent in {@code room} for both participants (one user's keys per script: one slot each). */
    public Uni<Void> record(String room, String from, String to) {
        Uni<Void> sender = INDEX.run(redis, List.of(RoomKeys.directRooms(from)), List.of(room, retentionMs)).replaceWithVoid();
        if (from.equals(to)) {
            return sender;
        }
        Uni<Void> recipient = INDEX.run(redis, List.of(RoomKeys.directRooms(to)), List.of(room, retentionMs)).replaceWithVoid();
        return Uni.combine().all().unis(sender, recipient).discardItems();
    }
}
