package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The gateway's event-loop count comes from EventLoopsPerCore unless application.properties or the environment set it.
 * (CrossGatewayIT checks the loops a gateway limited to one CPU really runs.)
 */
@QuarkusTest
class EventLoopsPerCoreTest {

    private static String loops(SmallRyeConfigBuilder builder) {
        SmallRyeConfig config = builder.withSources(new EventLoopsPerCore()).build();
        return config.getConfigValue(EventLoopsPerCore.PROPERTY).getValue();
    }

    @Test
    void theGatewayTakesItsLoopCountFromTheCores() {
        assertEquals(EventLoopsPerCore.NAME, ConfigProvider.getConfig().getConfigValue(EventLoopsPerCore.PROPERTY).getSourceName());
    }

    @Test
    void applicationPropertiesWin() {
        assertEquals("3", loops(new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(Map.of(EventLoopsPerCore.PROPERTY, "3"), "application.properties", 250))));
    }

    @Test
    void theEnvironmentWins() {
        assertEquals("5", loops(new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(Map.of("QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE", "5"), 300))));
    }
}
