package dev.chat.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The linger and the most sends per call are checked at start: a value out of range stops the gateway there. */
class SendBatchesSettingsTest {

    @Test
    void aLingerFromZeroToOneSecondIsTakenInMilliseconds() {
        assertEquals(0, SendBatches.lingerMs(Duration.ZERO));
        assertEquals(1, SendBatches.lingerMs(Duration.ofMillis(1)));
        assertEquals(1000, SendBatches.lingerMs(Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> SendBatches.lingerMs(Duration.ofMillis(1001)));
        assertThrows(IllegalArgumentException.class, () -> SendBatches.lingerMs(Duration.ofMillis(-1)));
    }

    @Test
    void aCallCarriesOneTo256Sends() {
        assertEquals(1, SendBatches.batchMax(1));
        assertEquals(256, SendBatches.batchMax(256));
        assertThrows(IllegalArgumentException.class, () -> SendBatches.batchMax(0));
        assertThrows(IllegalArgumentException.class, () -> SendBatches.batchMax(257));
    }
}
