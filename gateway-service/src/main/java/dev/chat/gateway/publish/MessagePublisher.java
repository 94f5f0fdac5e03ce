package dev.chat.gateway.publish;

import dev.chat.common.redis.RedisLayout;
import dev.chat.common.redis.RoomKeys;
import dev.chat.common.rooms.RoomNames;
import dev.chat.common.tracing.ChatTracer;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.direct.DirectRoomIndex;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.RoomSubscriber;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Accepts messages in one Redis round trip: the publish script assigns seq, logs, publishes and records the idempotency key. */
@ApplicationScoped
public class MessagePublisher {

    private final ReactiveRedisDataSource redis;
    private final GatewayConfig config;

    private final GatewayMetrics metrics;
    private final ChatTracer tracer;
    private final DirectRoomIndex directRooms;
    private final RedisLayout layout;

    private final RoomSubscriber subscriber;
    private final PublishScript script;
    private final SendBatches batches;

    public MessagePublisher(ReactiveRedisDataSource redis, GatewayConfig config, GatewayMetrics metrics, ChatTracer tracer,
            DirectRoomIndex directRooms, RedisLayout layout, RoomSubscriber subscriber, PublishScript script, SendBatches batches) {
        this.subscriber = subscriber;
        this.script = script;
        this.batches = batches;
        this.directRooms = directRooms;
        this.layout = layout;
        this.metrics = metrics;
        this.tracer = tracer;
        this.redis = redis;
        this.config = config;
    }

    /** Publishes {@code text} from {@code from} to {@code room}; fails with {@link RoomUnavailable} if Redis cannot take it. */
    public Uni<Accepted> publish(String room, String from, String text, String cid) {
        String idemKey = cid == null ? RoomKeys.idempotency(room, from, "") : RoomKeys.idempotency(room, from, cid);
        String recipient = RoomNames.isDirect(room) ? RoomNames.otherParticipant(room, from) : null;
        // On a Redis Cluster the script keeps to the room's slot; a direct message's user channels and
        // offline event are written after it (see publishDirect).
        boolean directInScript = recipient != null && !layout.cluster();
        List<String> keys = List.of(RoomKeys.seq(room), RoomKeys.epoch(room), RoomKeys.log(room), idemKey,
                layout.generation(room), RoomKeys.stored(room), directInScript ? config.events().stream() : RoomKeys.seq(room),
                directInScript ? RoomKeys.online(recipient) : RoomKeys.seq(room), RoomKeys.reseedRequest(room));
        // Tracing (off by default): a child of the frame's span if there is one; its traceparent rides in the message
        // (an optional field) so the history insert joins the same trace. Empty when tracing is off.
        Span span = tracer.spanBuilder("chat publish").setSpanKind(SpanKind.PRODUCER).setAttribute("chat.room", room).startSpan();
        String payload = MessagePayload.open(room, from, text, cid, Traceparent.of(span.getSpanContext()));
        List<String> args = List.of(room, from, payload, cid == null ? "" : cid, Epochs.next(), layout.roomChannel(room),
                directInScript ? layout.userChannel(from) : "", directInScript ? layout.userChannel(recipient) : "",
                directInScript ? recipient : "", layout.historyChannel(room));
        PublishScript.Send send = new PublishScript.Send(keys, args, cid != null);
        int replicas = config.replication().acks();
        Timer.Sample sample = metrics.startPublish();
        // A direct message is indexed before it exists, so no gateway can miss it without finding its room.
        Uni<PublishScript.Outcome> script = replicas == 0 && config.subscriber().carriesSends() && subscriber.canCall() ? batched(send)
                : replicas == 0 ? this.script.onPool(List.of(send)).map(outcomes -> outcomes.get(0)).invoke(() -> metrics.sentOn(false, 1))
                : this.script.replicated(send, replicas, config.replication().timeout().toMillis()).invoke(() -> metrics.sentOn(false, 1));
        Uni<PublishScript.Outcome> published = recipient == null ? script : directRooms.record(room, from, recipient).chain(() -> script);
        if (recipient != null && !directInScript) {
            // Also for a resend ("dup"): the ack waits for these writes, so a client that got no ack resends and they
            // happen again; the offline event is written at least once, and user channels' repeats are dropped by seq.
            published = published.call(outcome -> outcome.error() == null && !outcome.reseed()
                    ? publishDirect(room, from, recipient, payload, outcome.seq(), outcome.ts())
                    : Uni.createFrom().voidItem());
        }
        return published
                .onTermination().invoke((outcome, failure, cancelled) -> {
                    if (failure != null) {
                        span.setStatus(StatusCode.ERROR, failure.getMessage());
                    }
                    span.end();
                })
                .onFailure().transform(e -> new RoomUnavailable("Redis did not accept the message", e))
                .map(outcome -> accepted(room, outcome))
                .invoke(accepted -> {
                    metrics.published(sample);
                    metrics.accepted();
                });
    }

    /**
     * The send in the subscriber's next publish script call (see {@link SendBatches}): Redis then writes the reply in the
     * same write as the message, which this gateway receives on that connection too. The outcome comes on the
     * subscriber's event loop; the rest of the send goes on where it started.
     */
    private Uni<PublishScript.Outcome> batched(PublishScript.Send send) {
        Context caller = Vertx.currentContext();
        Uni<PublishScript.Outcome> outcome = batches.send(send);
        return caller == null ? outcome : outcome.emitOn(task -> caller.runOnContext(v -> task.run()));
    }

    /**
     * Redis Cluster: what the script does for a direct message on a standalone Redis, from outside it
     * (the users' keys live in their own slots). A failure fails the send (unavailable): the message is
     * stored, and the client's resend with the same cid is answered with its seq and writes these again.
     */
    private Uni<Void> publishDirect(String room, String from, String recipient, String open, long seq, long ts) {
        String payload = open + ",\"seq\":" + seq + ",\"ts\":" + ts + "}";
        String command = layout.publishCommand();
        Uni<Void> channels = Uni.join().all(redis.execute(command, layout.userChannel(from), payload),
                redis.execute(command, layout.userChannel(recipient), payload)).andCollectFailures().replaceWithVoid();
        Uni<Void> offline = redis.execute("ZCOUNT", RoomKeys.online(recipient), Long.toString(ts), "+inf")
                .chain(online -> online.toLong() > 0 ? Uni.createFrom().voidItem()
                        : redis.execute("XADD", config.events().stream(), "MAXLEN", "~", Integer.toString(config.events().maxLength()), "*",
                                "type", "dm.offline", "user", recipient, "room", room, "seq", Long.toString(seq), "from", from,
                                "ts", Long.toString(ts)).replaceWithVoid());
        return Uni.join().all(channels, offline).andCollectFailures().replaceWithVoid()
                .onFailure().invoke(e -> Log.warnf("Direct message %s#%d stored, but not all of its side effects were written (%s): "
                        + "the sender is told to resend", room, seq, e.getMessage()));
    }

    private static Accepted accepted(String room, PublishScript.Outcome outcome) {
        if (outcome.error() != null) {
            Log.warnf("Redis refused a message for %s: %s", room, outcome.error());
            throw new RoomUnavailable("Redis did not accept the message", null);
        }
        if (outcome.reseed()) {
            throw new RoomUnavailable("room counter is waiting to be re-seeded from history after Redis lost its data", null);
        }
        return new Accepted(room, outcome.seq(), outcome.ts(), "dup".equals(outcome.status()));
    }
}
