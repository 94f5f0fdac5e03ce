package dev.chat.gateway.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Turns off Quarkus's long-task timer of how long each HTTP connection has been open ({@code http.server.connections}).
 * Every WebSocket is such a connection for its whole life, and each held a timer sample in the composite registry
 * and in Prometheus's (about 130 bytes of heap per idle connection, started on every connect and stopped on every
 * close), whatever {@code quarkus.micrometer.binder.http-server.ignore-patterns} says: that reaches requests, not
 * connections. How many are open stays: {@code http_server_active_connections} (every socket of the public port) and
 * {@code chat_gateway_connections} (chat sessions).
 */
@Singleton
public class ConnectionDurationTimer {

    private static final String NAME = "http.server.connections";

    @Produces
    @Singleton
    MeterFilter withoutConnectionDurations() {
        return MeterFilter.deny(id -> NAME.equals(id.getName()));
    }
}
