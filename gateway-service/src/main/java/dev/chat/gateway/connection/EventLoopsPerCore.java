package dev.chat.gateway.connection;

import dev.chat.common.config.ComputedProperty;

/**
 * One event loop per core the process may use. Quarkus runs one per core too, but never fewer than two, so a
 * gateway limited to one CPU (a 1-CPU pod, {@code docker --cpus=1}, a {@code taskset}) ran two loops taking turns
 * on it. The gateway never blocks a loop, so a second one only adds wake-ups and thread switches: with both
 * gateways pinned to one core, one loop each cost about 5 % less CPU per delivery, 4 % less memory per idle
 * connection and, in one of two connect storms, 30 % less CPU (BENCHMARKS.md); on two cores, four loops instead
 * of two cost about a tenth more. The count is read with the configuration at start-up: a container's CPU limit
 * rounded up, or the cores a {@code taskset} allows. Ordinal 150, below application.properties and the
 * environment: {@code QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE} still sets it.
 */
public class EventLoopsPerCore extends ComputedProperty {

    static final String PROPERTY = "quarkus.vertx.event-loops-pool-size";

    public EventLoopsPerCore() {
        super("chat-event-loops-per-core", PROPERTY, 150);
    }

    @Override
    protected String value() {
        return Integer.toString(Runtime.getRuntime().availableProcessors());
    }
}
