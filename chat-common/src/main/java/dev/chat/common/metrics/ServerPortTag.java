package dev.chat.common.metrics;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Drops the {@code server.port} tag from the HTTP server meters. With the management interface there
 * are two HTTP servers, and Quarkus tags their meters with the port only when it is fixed: one fixed
 * and one random port (a packaged service under test) would register one meter name with two tag sets,
 * which the Prometheus registry refuses, and the server whose meters fail never finishes starting.
 */
@Singleton
public class ServerPortTag {

    @Produces
    @Singleton
    MeterFilter withoutServerPort() {
        return MeterFilter.ignoreTags("server.port");
    }
}
