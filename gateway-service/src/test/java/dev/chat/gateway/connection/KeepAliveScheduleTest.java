package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** When each connection's keep-alive ping goes out: one tick a second, each connection on one tick of the interval. */
class KeepAliveScheduleTest {

    @Test
    void anIntervalOfSecondsHasOneTickASecond() {
        assertEquals(1000, KeepAlive.tickMillis(25_000));
        assertEquals(25, KeepAlive.slots(25_000));
    }

    @Test
    void anIntervalShorterThanASecondIsOneTick() {
        assertEquals(500, KeepAlive.tickMillis(500));
        assertEquals(1, KeepAlive.slots(500));
        assertEquals(0, KeepAlive.slotOf(UUID.randomUUID().toString(), 1));
    }

    @Test
    void connectionsOpenedTogetherAreSpreadEvenlyOverTheTicks() {
        int slots = KeepAlive.slots(25_000);
        int[] perSlot = new int[slots];
        int connections = 10_000;
        for (int i = 0; i < connections; i++) {
            perSlot[KeepAlive.slotOf(UUID.randomUUID().toString(), slots)]++;
        }
        int mean = connections / slots;
        for (int slot = 0; slot < slots; slot++) {
            assertTrue(Math.abs(perSlot[slot] - mean) < mean / 4, "slot " + slot + " has " + perSlot[slot] + " of " + connections);
        }
    }

    @Test
    void aConnectionKeepsItsTick() {
        String id = UUID.randomUUID().toString();
        assertEquals(KeepAlive.slotOf(id, 25), KeepAlive.slotOf(id, 25));
    }
}
