package dev.chat.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's own meters on /q/metrics (Prometheus names: chat_gateway_...). A singleton, not application
 * scoped: it is called for every frame out, and a client proxy looked its scope up on each call. The per-frame
 * and per-message counts are adders read at scrape time: a registered Counter's increment went through the
 * composite registry and an exemplar sampler that asks OpenTelemetry for the current span, 6 % of a
 * gateway's CPU in S3.
 */
@Singleton
public class GatewayMetrics {

    private final LongAdder framesIn = new LongAdder();
    private final LongAdder framesOut = new LongAdder();
    private final LongAdder frameFlushes = new LongAdder();
    private final LongAdder messagesAccepted = new LongAdder();
    private final LongAdder sendsOnSubscriber = new LongAdder();
    private final LongAdder sendsOnPool = new LongAdder();
    private final LongAdder sendCalls = new LongAdder();
    private final LongAdder presenceRoomReads = new LongAdder();
    private final LongAdder upgradeTokensLean = new LongAdder();
    private final LongAdder upgradeTokensDeferred = new LongAdder();
    private final Counter slowConsumerCloses;
    private final Counter closesCut;
    private final Counter rateLimited;
    private final Timer publishLatency;
    private final Timer fanoutLatency;
    private final MeterRegistry registry;

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        FunctionCounter.builder("chat.gateway.frames.received", framesIn, LongAdder::sum).description("Frames received from clients")
                .register(registry);
        FunctionCounter.builder("chat.gateway.frames.sent", framesOut, LongAdder::sum).description("Frames written to clients (deliveries out)")
                .register(registry);
        // Frames per flush (sent / flushes) shows how often a burst for one connection went out in one socket write.
        FunctionCounter.builder("chat.gateway.frames.flushes", frameFlushes, LongAdder::sum)
                .description("Socket writes of frames to clients (flushes); a presence batch is one per connection").register(registry);
        FunctionCounter.builder("chat.gateway.messages.accepted", messagesAccepted, LongAdder::sum)
                .description("Messages accepted (acked) by this gateway").register(registry);
        // Which connection carried each publish script: the subscriber's (its reply written with the message) or the pool.
        FunctionCounter.builder("chat.gateway.sends", sendsOnSubscriber, LongAdder::sum).tag("connection", "subscriber")
                .description("Messages run through the publish script, by the connection that carried them").register(registry);
        FunctionCounter.builder("chat.gateway.sends", sendsOnPool, LongAdder::sum).tag("connection", "pool")
                .description("Messages run through the publish script, by the connection that carried them").register(registry);
        // Sends on the subscriber per call shows how many messages the linger gathers into one script call.
        FunctionCounter.builder("chat.gateway.send.calls", sendCalls, LongAdder::sum)
                .description("Publish script calls gathered for the subscriber's connection (each carries one or more sends)").register(registry);
        // Rises while a gateway on a presence script before the index shares rooms (a rolling upgrade), and for a room's
        // flushes between the loss of its index and the next heartbeat: each costs Redis a read of the room's whole
        // presence set, 140-200 ms in a room of 100,000.
        FunctionCounter.builder("chat.gateway.presence.room.reads", presenceRoomReads, LongAdder::sum)
                .description("Presence flushes of a room that read its whole presence set instead of looking up the changed users")
                .register(registry);
        // "deferred" counts refused tokens too; rising with accepted connections, the identity provider's tokens carry
        // something the lean verifier leaves to smallrye-jwt (which allocates about 98 KB per token).
        String upgradeTokens = "WebSocket upgrades' tokens, by the verifier that decided: lean (the lean verifier vouched for it) or deferred to smallrye-jwt";
        FunctionCounter.builder("chat.gateway.upgrade.tokens", upgradeTokensLean, LongAdder::sum).tag("verifier", "lean")
                .description(upgradeTokens)
                .register(registry);
        FunctionCounter.builder("chat.gateway.upgrade.tokens", upgradeTokensDeferred, LongAdder::sum).tag("verifier", "deferred")
                .description(upgradeTokens)
                .register(registry);
        this.slowConsumerCloses = Counter.builder("chat.gateway.slow.consumer.closes").description("Connections closed with 1013 for not keeping up").register(registry);
        this.closesCut = Counter.builder("chat.gateway.closes.cut")
                .description("Closing connections whose socket was cut: their close frame waited behind bytes the client stopped reading").register(registry);
        this.rateLimited = Counter.builder("chat.gateway.rate.limited").description("Frames refused with rate_limited").register(registry);
        this.publishLatency = Timer.builder("chat.gateway.publish.latency").description("Time of the publish script round trip")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(5)).register(registry);
        this.fanoutLatency = Timer.builder("chat.gateway.fanout.latency").description("From acceptance in Redis to the write to local connections")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
    }

    public void gauge(String name, String description, java.util.function.Supplier<Number> value) {
        io.micrometer.core.instrument.Gauge.builder(name, value).description(description).register(registry);
    }

    public void frameIn() {
        framesIn.increment();
    }

    public void frameOut() {
        framesOut.increment();
    }

    /** One flush of frames to a client's socket. */
    public void frameFlushed() {
        frameFlushes.increment();
    }

    /** Frames written to clients so far, and the flushes that carried them to their sockets. */
    public long framesSent() {
        return framesOut.sum();
    }

    public long frameFlushes() {
        return frameFlushes.sum();
    }

    public void accepted() {
        messagesAccepted.increment();
    }

    /** {@code count} messages ran through the publish script on the subscriber's connection ({@code true}) or on the pool. */
    public void sentOn(boolean subscriber, int count) {
        (subscriber ? sendsOnSubscriber : sendsOnPool).add(count);
    }

    /** Messages run through the publish script so far on the subscriber's connection ({@code true}) or on the pool. */
    public long sends(boolean subscriber) {
        return (subscriber ? sendsOnSubscriber : sendsOnPool).sum();
    }

    /** One publish script call gathered for the subscriber's connection (should it refuse the call, the pool runs it). */
    public void sendCall() {
        sendCalls.increment();
    }

    /** Publish script calls gathered so far for the subscriber's connection. */
    public long sendCalls() {
        return sendCalls.sum();
    }

    public void closeCut() {
        closesCut.increment();
    }

    /** A presence flush of one room read the room's whole presence set (its index did not hold every entry). */
    public void presenceRoomRead() {
        presenceRoomReads.increment();
    }

    /** An upgrade's token the lean verifier vouched for ({@code true}) or left to smallrye-jwt. */
    public void upgradeToken(boolean vouched) {
        (vouched ? upgradeTokensLean : upgradeTokensDeferred).increment();
    }

    public void slowConsumerClosed() {
        slowConsumerCloses.increment();
    }

    public void rateLimited() {
        rateLimited.increment();
    }

    public Timer.Sample startPublish() {
        return Timer.start(registry);
    }

    public void published(Timer.Sample sample) {
        sample.stop(publishLatency);
    }

    /** Called once per message per gateway, once it is written to the local members (after any write interval). */
    public void fannedOut(long acceptedAtMillis) {
        long lag = System.currentTimeMillis() - acceptedAtMillis;
        if (lag >= 0) {
            fanoutLatency.record(Duration.ofMillis(lag));
        }
    }
}
