package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Refuses new WebSocket upgrades (503) while the gateway drains, or when it already holds its
 * maximum of connections, so clients go to another instance instead of overloading this one.
 */
@ApplicationScoped
public class DrainUpgradeCheck implements HttpUpgradeCheck {

    private static final int SERVICE_UNAVAILABLE = 503;

    private final GatewayDrain drain;
    private final ChatSessions sessions;
    private final int maxConnections;

    public DrainUpgradeCheck(GatewayDrain drain, ChatSessions sessions, GatewayConfig config) {
        this.drain = drain;
        this.sessions = sessions;
        this.maxConnections = config.limits().maxConnections();
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        boolean full = sessions.count() >= maxConnections;
        return drain.isDraining() || full ? CheckResult.rejectUpgrade(SERVICE_UNAVAILABLE) : CheckResult.permitUpgrade();
    }
}
