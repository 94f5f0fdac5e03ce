package dev.chat.gateway;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/** The name of this gateway instance: configured, else the host name (the pod name on Kubernetes), else random. */
@ApplicationScoped
public class NodeName {

    private final String name;

    public NodeName(GatewayConfig config) {
        String host = System.getenv("HOSTNAME");
        this.name = config.nodeId().orElse(host != null && !host.isBlank() ? host : "gateway-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public String name() {
        return name;
    }
}
