package dev.chat.gateway.connection;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

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
public class EventLoopsPerCore implements ConfigSource {

    static final String PROPERTY = "quarkus.vertx.event-loops-pool-size";

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(PROPERTY);
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(PROPERTY, getValue(PROPERTY));
    }

    @Override
    public String getValue(String propertyName) {
        return PROPERTY.equals(propertyName) ? Integer.toString(Runtime.getRuntime().availableProcessors()) : null;
    }

    @Override
    public int getOrdinal() {
        return 150;
    }

    @Override
    public String getName() {
        return "chat-event-loops-per-core";
    }
}
