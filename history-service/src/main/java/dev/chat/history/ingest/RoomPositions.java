package dev.chat.history.ingest;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisDeployment;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A room's positions in Redis: the gateway's counter and the stored position history publishes back to it. */
@Singleton
public class RoomPositions {

    private static final LuaScript ADVANCE = LuaScript.fromResource("scripts/advance-stored.lua");
    /** Rooms per call to {@link #advance}: a tick's busy rooms in a few script calls, none of them long. */
    public static final int ROOMS_PER_CALL = 256;

    private final ReactiveRedisDataSource redis;
    private final RedisDeployment deployment;

    public RoomPositions(ReactiveRedisDataSource redis, RedisDeployment deployment) {
        this.redis = redis;
        this.deployment = deployment;
    }

    /** History's stored position and the room's counter, each 0 when absent. */
    public Uni<Position> read(String room) {
        // Both keys share the room's hash tag, so one MGET works on a cluster too.
        return redis.execute("MGET", RoomKeys.stored(room), RoomKeys.seq(room))
                .map(reply -> new Position(number(reply.get(0)), number(reply.get(1))));
    }

    /**
     * Raises each room's stored position to its target (never lowers one): one script call on one Redis (callers pass
     * at most {@value #ROOMS_PER_CALL} rooms), one per room, pipelined, on a Redis Cluster (each room in its own slot).
     */
    public Uni<Void> advance(Map<String, Long> targets) {
        if (targets.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<String> keys = new ArrayList<>(targets.size());
        List<String> args = new ArrayList<>(targets.size());
        targets.forEach((room, seq) -> {
            keys.add(RoomKeys.stored(room));
            args.add(Long.toString(seq));
        });
        if (!deployment.cluster()) {
            return ADVANCE.run(redis, keys, args).replaceWithVoid();
        }
        List<List<String>> oneKeyEach = keys.stream().map(List::of).toList();
        List<List<String>> oneArgEach = args.stream().map(List::of).toList();
        return ADVANCE.runBatch(redis, oneKeyEach, oneArgEach).replaceWithVoid();
    }

    private static long number(Response value) {
        return value == null ? 0 : Long.parseLong(value.toString());
    }

    /** {@code stored}: every seq up to it is in PostgreSQL; {@code counter}: the room's latest seq. */
    public record Position(long stored, long counter) {
    }
}
