package dev.chat.gateway.publish;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.direct.DirectRoomIndex;
import dev.chat.gateway.metrics.GatewayMetrics;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Accepts messages in one Redis round trip: the publish script assigns seq, logs, publishes and records the idempotency key. */
// Created at start, so its script is read while file descriptors are plentiful (not first under a connect storm).
@io.quarkus.runtime.Startup
@ApplicationScoped
public class MessagePublisher {

    private static final LuaScript PUBLISH = LuaScript.fromResource("scripts/publish.lua");

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig config;

    private final GatewayMetrics metrics;
    private final Tracer tracer;
    private final DirectRoomIndex directRooms;

    public MessagePublisher(ReactiveRedisDataSource redis, GatewayConfig config, GatewayMetrics metrics, Tracer tracer,
            DirectRoomIndex directRooms) {
        this.directRooms = directRooms;
        this.metrics = metrics;
        this.tracer = tracer;
        this.redis = redis;
        this.config = config;
    }

    /** Publishes {@code text} from {@code from} to {@code room}; fails with {@link RoomUnavailable} if Redis cannot take it. */
    public Uni<Accepted> publish(String room, String from, String text, String cid) {
        String idemKey = cid == null ? RoomKeys.idempotency(room, from, "") : RoomKeys.idempotency(room, from, cid);
        String recipient = RoomNames.isDirect(room) ? RoomNames.otherParticipant(room, from) : null;
        List<String> keys = List.of(RoomKeys.seq(room), RoomKeys.epoch(room), RoomKeys.log(room), idemKey,
                RoomKeys.GENERATION, RoomKeys.stored(room), config.events().stream(),
                recipient == null ? RoomKeys.online(from) : RoomKeys.online(recipient), RoomKeys.reseedRequest(room));
        GatewayConfig.RecentLog log = config.log();
        // Tracing (off by default): a child of the frame's span if there is one; its traceparent rides in
        // the message (an optional field) so the history insert joins the same trace. Empty when tracing is off.
        Span span = tracer.spanBuilder("chat publish").setSpanKind(SpanKind.PRODUCER).setAttribute("chat.room", room).startSpan();
        String payload = MessagePayload.open(room, from, text, cid, Traceparent.of(span.getSpanContext()));
        List<String> args = List.of(room, from, payload, cid == null ? "" : cid, Epochs.next(),
                Integer.toString(log.minEntries()), Long.toString(log.minAge().toMillis()),
                Integer.toString(log.maxEntries()), Long.toString(config.idempotencyWindow().toMillis()),
                RoomKeys.channel(room), log.protectUnstored() ? "1" : "0",
                recipient == null ? "" : RoomKeys.userChannel(from), recipient == null ? "" : RoomKeys.userChannel(recipient),
                recipient == null ? "" : recipient, Integer.toString(config.events().maxLength()),
                Integer.toString(log.trimInterval()));
        Timer.Sample sample = metrics.startPublish();
        // A direct message is indexed before it exists, so no gateway can miss it without finding its room.
        Uni<Response> published = recipient == null ? PUBLISH.run(redis, keys, args)
                : directRooms.record(room, from, recipient).chain(() -> PUBLISH.run(redis, keys, args));
        return published
                .onTermination().invoke((reply, failure, cancelled) -> {
                    if (failure != null) {
                        span.setStatus(StatusCode.ERROR, failure.getMessage());
                    }
                    span.end();
                })
                .onFailure().transform(e -> new RoomUnavailable("Redis did not accept the message", e))
                .map(reply -> accepted(room, reply))
                .invoke(accepted -> {
                    metrics.published(sample);
                    metrics.accepted();
                });
    }

    private static Accepted accepted(String room, Response reply) {
        String status = reply.get(0).toString();
        if ("reseed".equals(status)) {
            throw new RoomUnavailable("room counter is waiting to be re-seeded from history after Redis lost its data", null);
        }
        return new Accepted(room, reply.get(1).toLong(), reply.get(2).toLong(), "dup".equals(status));
    }
}
