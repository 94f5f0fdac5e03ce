package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Caps each connection's kernel send buffer. Left to autotuning, a client that stops reading can
 * park megabytes in the kernel before the outbound queue notices; with a cap, a stalled client hits
 * the queue limit (and 1013) after a bounded, small amount of memory. The receive buffer is capped
 * for the same reason inbound: while reading is paused, a flooding client parks little in the kernel.
 */
@ApplicationScoped
public class SocketBuffers implements HttpServerOptionsCustomizer {

    private final GatewayConfig config;

    public SocketBuffers(GatewayConfig config) {
        this.config = config;
    }

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        options.setSendBufferSize(config.limits().socketSendBuffer());
        options.setReceiveBufferSize(config.limits().socketReceiveBuffer());
    }
}
