package dev.chat.history.ingest;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Singleton;
import java.util.List;

/** A room's positions in Redis: the gateway's counter and the stored position history publishes back to it. */
@Singleton
public class RoomPositions {

    private static final LuaScript ADVANCE = LuaScript.fromResource("scripts/advance-stored.lua");

    private final ReactiveRedisDataSource redis;

    public RoomPositions(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    /** History's stored position and the room's counter, each 0 when absent. */
    public Uni<Position> read(String room) {
        // Both keys share the room's hash tag, so one MGET works on a cluster too.
        return redis.execute("MGET", RoomKeys.stored(room), RoomKeys.seq(room))
                .map(reply -> new Position(number(reply.get(0)), number(reply.get(1))));
    }

    /** Raises the room's stored position to {@code seq} (never lowers it). */
    public Uni<Void> advance(String room, long seq) {
        return ADVANCE.run(redis, List.of(RoomKeys.stored(room)), List.of(Long.toString(seq))).replaceWithVoid();
    }

    private static long number(Response value) {
        return value == null ? 0 : Long.parseLong(value.toString());
    }

    /** {@code stored}: every seq up to it is in PostgreSQL; {@code counter}: the room's latest seq. */
    public record Position(long stored, long counter) {
    }
}
