package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Test;

/** The public port's socket cap follows the connection cap unless it is set itself. (LimitsTest: what the cap does.) */
class SocketCapTest {

    private static String cap(ConfigSource... sources) {
        return new SmallRyeConfigBuilder().withSources(sources).withSources(new SocketCap()).build()
                .getConfigValue(SocketCap.PROPERTY).getValue();
    }

    @Test
    void aTenthAboveTheDefaultConnectionCap() {
        assertEquals("55000", cap());
    }

    @Test
    void atLeastAHundredAboveASmallConnectionCap() {
        assertEquals("100", cap(new EnvConfigSource(Map.of("CHAT_LIMITS_MAX_CONNECTIONS", "0"), 300)));
        assertEquals("1100", cap(new EnvConfigSource(Map.of("CHAT_LIMITS_MAX_CONNECTIONS", "1000"), 300)));
    }

    @Test
    void aConnectionCapThatIsNoNumberIsLeftToTheGatewaysConfigurationToRefuse() {
        assertNull(cap(new EnvConfigSource(Map.of("CHAT_LIMITS_MAX_CONNECTIONS", "lots"), 300)));
    }

    @Test
    void aBlankConnectionCapIsTheDefaultOne() {
        assertEquals("55000", cap(new EnvConfigSource(Map.of("CHAT_LIMITS_MAX_CONNECTIONS", ""), 300)));
    }

    @Test
    void theLargestConnectionCapDoesNotOverflow() {
        assertEquals(Integer.toString(Integer.MAX_VALUE), cap(new EnvConfigSource(Map.of("CHAT_LIMITS_MAX_CONNECTIONS", Integer.toString(Integer.MAX_VALUE)), 300)));
    }

    @Test
    void aCapSetOnItsOwnWins() {
        assertEquals("7", cap(new PropertiesConfigSource(Map.of(SocketCap.PROPERTY, "7"), "application.properties", 250)));
        assertEquals("9", cap(new EnvConfigSource(Map.of("QUARKUS_HTTP_LIMITS_MAX_CONNECTIONS", "9", "CHAT_LIMITS_MAX_CONNECTIONS", "5"), 300)));
    }
}
