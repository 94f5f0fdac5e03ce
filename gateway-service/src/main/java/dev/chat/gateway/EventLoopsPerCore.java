package dev.chat.gateway;

import dev.chat.common.config.ComputedProperty;

/**
 * Quarkus's event-loop count without its floor of two: one loop per core the gateway may use (its CPU limit rounded
 * up, or what a {@code taskset} allows), capped at one per 10 MB of heap as Quarkus caps it. The gateway never blocks a
 * loop, so on one CPU a second loop only adds wake-ups and thread switches (measured in BENCHMARKS.md, seventeenth
 * session). A default only: application.properties and {@code QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE} still set it.
 */
public class EventLoopsPerCore extends ComputedProperty {

    static final String NAME = "chat-event-loops-per-core";
    static final String PROPERTY = "quarkus.vertx.event-loops-pool-size";

    public EventLoopsPerCore() {
        super(NAME, PROPERTY, 150);
    }

    @Override
    protected String value() {
        long heapMegabytes = Runtime.getRuntime().maxMemory() / (1024 * 1024);
        return Long.toString(Math.max(1, Math.min(heapMegabytes / 10, Runtime.getRuntime().availableProcessors())));
    }
}
