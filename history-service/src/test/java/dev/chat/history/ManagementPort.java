package dev.chat.history;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

/**
 * Gives the packaged service under {@code @QuarkusIntegrationTest} a free management port that the
 * test knows: Quarkus 3.34 learns only the main port of a launched artifact (quarkusio/quarkus#55023
 * adds the management one), and a fixed port would collide with other builds on the machine.
 */
public class ManagementPort implements QuarkusTestResourceLifecycleManager {

    static volatile int port;

    @Override
    public Map<String, String> start() {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quarkus.management.port", Integer.toString(port));
    }

    @Override
    public void stop() {
        port = 0;
    }
}
