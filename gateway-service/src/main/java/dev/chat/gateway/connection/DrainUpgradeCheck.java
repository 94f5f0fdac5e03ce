package dev.chat.gateway.connection;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Refuses new WebSocket upgrades (503) while the gateway drains, so reconnecting clients go to another instance. */
@ApplicationScoped
public class DrainUpgradeCheck implements HttpUpgradeCheck {

    private static final int SERVICE_UNAVAILABLE = 503;

    private final GatewayDrain drain;

    public DrainUpgradeCheck(GatewayDrain drain) {
        this.drain = drain;
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        return drain.isDraining() ? CheckResult.rejectUpgrade(SERVICE_UNAVAILABLE) : CheckResult.permitUpgrade();
    }
}
