package dev.chat.gateway.publish;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.redis.ScriptPipeline;
import dev.chat.gateway.GatewayConfig;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a room's position, and the first chunk of the recent log after a client's {@code since}, in one
 * atomic Redis step (the rest of a long gap is read in chunks by the member catching up).
 */
// Created at start, so its script is read while file descriptors are plentiful (not first under a connect storm).
@io.quarkus.runtime.Startup
@ApplicationScoped
public class RoomPositions {

    private static final LuaScript JOIN = LuaScript.fromResource("scripts/join.lua");

    /** Joins' reads: a connect storm's joins share round trips. */
    private final ScriptPipeline joins;
    private final GatewayConfig config;
    private final RedisLayout layout;

    public RoomPositions(ReactiveRedisDataSource redis, GatewayConfig config, RedisLayout layout) {
        this.joins = new ScriptPipeline(redis, config.presence().batchSize());
        this.layout = layout;
        this.config = config;
    }

    public Uni<RoomPosition> position(String room, Long since, String epoch) {
        List<String> keys = List.of(RoomKeys.seq(room), RoomKeys.epoch(room), RoomKeys.log(room), layout.generation(room),
                RoomKeys.stored(room), RoomKeys.reseedRequest(room));
        List<String> args = List.of(since == null ? "" : Long.toString(since), epoch == null ? "" : epoch,
                Epochs.next(), Integer.toString(config.log().maxEntries()),
                Integer.toString(config.replay().chunk()));
        return Uni.createFrom().completionStage(() -> joins.run(JOIN, keys, args).toCompletionStage())
                .onFailure().transform(e -> new RoomUnavailable("Redis did not answer", e))
                .map(RoomPositions::position);
    }

    private static RoomPosition position(Response reply) {
        if ("reseed".equals(reply.get(0).toString())) {
            throw new RoomUnavailable("room counter is waiting to be re-seeded from history after Redis lost its data", null);
        }
        long recovered = reply.get(3).toLong();
        List<String> replay = new ArrayList<>(Math.max(0, reply.size() - 4));
        for (int i = 4; i < reply.size(); i++) {
            replay.add(reply.get(i).toString());
        }
        return new RoomPosition(reply.get(1).toLong(), reply.get(2).toString(), recovered < 0 ? null : recovered == 1, replay);
    }
}
