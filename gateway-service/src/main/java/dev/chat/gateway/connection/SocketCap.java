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
 * Caps the sockets the public port holds, of any kind, a little above {@code chat.limits.max-connections}: a tenth
 * more and at least 100 more, room for REST calls and for upgrades that get their 503. A socket that never finishes
 * a request costs the gateway about 2.4 KB of heap, and without a cap a flood of them, which needs no token, would
 * take a heap sized for the connection cap (measured: 19,000 of them, +44 MB live heap). Past the cap Quarkus closes
 * each new socket at once; {@code quarkus.http.idle-timeout} closes the silent ones, so the slots come back. A default
 * only: application.properties or {@code QUARKUS_HTTP_LIMITS_MAX_CONNECTIONS} still set it.
 */
public class SocketCap implements ConfigSourceFactory {

    public static final String NAME = "chat-socket-cap";
    public static final String PROPERTY = "quarkus.http.limits.max-connections";
    static final String WEBSOCKETS = "chat.limits.max-connections";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue websockets = context.getValue(WEBSOCKETS);
        String cap = websockets == null || websockets.getValue() == null ? GatewayConfig.Limits.DEFAULT_MAX_CONNECTIONS : websockets.getValue();
        int connections;
        try {
            connections = Integer.parseInt(cap.trim());
        } catch (NumberFormatException notANumber) {
            // Not this source's to report: the gateway's configuration refuses the value by its name at start-up.
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of(PROPERTY, Integer.toString(sockets(connections))), NAME, 150));
    }

    /** The socket cap for a cap of {@code websockets} connections. */
    static int sockets(int websockets) {
        return websockets + Math.max(100, websockets / 10);
    }
}
