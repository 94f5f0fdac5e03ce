package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One loop per core is only a default: application.properties and the environment still set the count. */
class EventLoopsPerCoreTest {

    private static int loops(SmallRyeConfigBuilder builder) {
        SmallRyeConfig config = builder.withSources(new EventLoopsPerCore()).build();
        return config.getValue(EventLoopsPerCore.PROPERTY, Integer.class);
    }

    @Test
    void withNothingConfiguredTheCountIsTheCoresTheProcessMayUse() {
        assertEquals(Runtime.getRuntime().availableProcessors(), loops(new SmallRyeConfigBuilder()));
    }

    @Test
    void applicationPropertiesWin() {
        assertEquals(3, loops(new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(Map.of(EventLoopsPerCore.PROPERTY, "3"), "application.properties", 250))));
    }

    @Test
    void theEnvironmentWins() {
        assertEquals(5, loops(new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(Map.of("QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE", "5"), 300))));
    }
}
