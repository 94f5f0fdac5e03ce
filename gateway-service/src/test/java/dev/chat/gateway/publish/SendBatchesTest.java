package dev.chat.gateway.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * When a call goes without waiting out the linger, and the settings' bounds (checked at start: a value out of range stops
 * the gateway there). How calls carry sends through Redis: SendsShareScriptCallsTest.
 */
class SendBatchesTest {

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

    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void theFirstSendAfterAQuietSpellGoesAtOnce() {
        assertTrue(SendBatches.goesAtOnce(1, 32, 2, 2 * MS), "no call for the whole linger");
        assertTrue(SendBatches.goesAtOnce(1, 32, 2, 60_000 * MS));
    }

    @Test
    void onABusyGatewayASendWaitsForCompany() {
        assertFalse(SendBatches.goesAtOnce(1, 32, 2, MS), "a call went a millisecond ago");
        assertFalse(SendBatches.goesAtOnce(2, 32, 2, 60_000 * MS), "the call already waits: the second joins it");
        assertFalse(SendBatches.goesAtOnce(31, 32, 2, 0));
    }

    @Test
    void aFullCallGoesAtOnce() {
        assertTrue(SendBatches.goesAtOnce(32, 32, 2, 0));
        assertTrue(SendBatches.goesAtOnce(1, 1, 2, 0), "batch-max 1: every send is its own call");
    }

    @Test
    void withoutALingerNothingGoesBeforeTheEndOfTheTurnUnlessFull() {
        assertFalse(SendBatches.goesAtOnce(1, 32, 0, 60_000 * MS));
        assertTrue(SendBatches.goesAtOnce(32, 32, 0, 0));
    }
}
