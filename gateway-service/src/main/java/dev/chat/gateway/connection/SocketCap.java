package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Caps the public port's sockets of any kind a tenth above {@code chat.limits.max-connections} (at least 100 above:
 * room for REST calls and for upgrades that get their 503), so that sockets that never finish a request, which need no
 * token, cannot take the heap the connection cap was sized for (BENCHMARKS.md, thirty-second session). A default only:
 * application.properties or {@code QUARKUS_HTTP_LIMITS_MAX_CONNECTIONS} still set it.
 */
public class SocketCap implements ConfigSourceFactory {

    public static final String NAME = "chat-socket-cap";
    public static final String PROPERTY = "quarkus.http.limits.max-connections";
    static final String CONNECTION_CAP = "chat.limits.max-connections";
    /** Below application.properties (250) and the environment (300). */
    private static final int ORDINAL = 150;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue set = context.getValue(CONNECTION_CAP);
        String cap = set == null || set.getValue() == null || set.getValue().isBlank()
                ? GatewayConfig.Limits.DEFAULT_MAX_CONNECTIONS
                : set.getValue().trim();
        int connections;
        try {
            connections = Integer.parseInt(cap);
        } catch (NumberFormatException notANumber) {
            // The gateway's configuration refuses it by name at start-up, which says more than a failure here would.
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of(PROPERTY, Integer.toString(sockets(connections))), NAME, ORDINAL));
    }

    /** The socket cap for a cap of {@code connections} chat connections. */
    static int sockets(int connections) {
        return (int) Math.min(Integer.MAX_VALUE, (long) connections + Math.max(100, connections / 10));
    }
}
