package dev.chat.gateway.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** When a room's presence changes wait, without Redis or clocks: every rule of {@link ChurnHolds}. */
class ChurnHoldsTest {

    static final long TICK = 200;
    static final long FIRST = 1_000;
    static final long MAX = 4_000;

    final ChurnHolds holds = new ChurnHolds(FIRST, MAX, TICK);

    /** Flushes the room whenever it is not held, with changes waiting at every tick; returns the hold lengths seen. */
    long holdAfterChurnedFlushAt(long now) {
        holds.forgetQuiet(now, Set.of("r"));
        assertFalse(holds.holding("r", now), "the room flushes at " + now);
        holds.flushed("r", true, now);
        long until = now;
        while (holds.holding("r", until)) {
            until += TICK;
        }
        return until - now;
    }

    @Test
    void aQuietRoomIsNeverHeld() {
        holds.flushed("r", false, 0);
        assertFalse(holds.holding("r", 0), "one announcement of a few changes holds nothing back");
        holds.forgetQuiet(TICK, Set.of());
        assertEquals(0, holds.tracked(), "nothing is kept for a room with nothing waiting");
        holds.flushed("r", false, 5 * TICK);
        assertFalse(holds.holding("r", 5 * TICK + 1));
    }

    @Test
    void aFullListHoldsTheRoomsNextChangesForTheFirstHold() {
        holds.flushed("r", true, 0);
        assertTrue(holds.holding("r", FIRST - 1));
        assertFalse(holds.holding("r", FIRST));
        assertFalse(holds.holding("other", 1), "holds are per room");
    }

    @Test
    void aStormThatGoesOnDoublesEachHoldUpToTheMaximum() {
        long now = 0;
        long[] expected = {FIRST, 2 * FIRST, 4 * FIRST, MAX, MAX};
        for (long length : expected) {
            long seen = holdAfterChurnedFlushAt(now);
            assertEquals(length, seen, "hold after a full list at " + now);
            now += seen;
        }
    }

    @Test
    void aRoomThatAnnouncesInTwoFlushesInARowIsHeldLikeABusyRoom() {
        holds.flushed("r", false, 0);
        holds.forgetQuiet(TICK, Set.of("r"));
        assertFalse(holds.holding("r", TICK));
        holds.flushed("r", false, TICK);
        assertTrue(holds.holding("r", TICK + FIRST - 1), "the second announcement in a row holds the next ones");
        assertFalse(holds.holding("r", TICK + FIRST));
    }

    @Test
    void aRoomQuietForMoreThanATickAfterItsHoldStartsOver() {
        holds.flushed("r", true, 0);
        holds.forgetQuiet(FIRST + TICK, Set.of());
        assertEquals(0, holds.tracked(), "a hold that ran out with nothing waiting is forgotten");
        assertEquals(FIRST, holdAfterChurnedFlushAt(FIRST + 2 * TICK), "the next storm starts at the first hold");
    }

    @Test
    void changesThatComeLongAfterTheHoldDoNotContinueIt() {
        holds.flushed("r", true, 0);
        // A flush was skipped (the previous one was still writing): the room waited two ticks past its hold.
        holds.forgetQuiet(FIRST + 2 * TICK, Set.of("r"));
        assertEquals(0, holds.tracked());
        holds.flushed("r", false, FIRST + 2 * TICK);
        assertFalse(holds.holding("r", FIRST + 2 * TICK + 1), "one announcement after a pause is a quiet room's");
    }

    @Test
    void aFirstHoldOfZeroTurnsHoldsOff() {
        ChurnHolds off = new ChurnHolds(0, MAX, TICK);
        for (long now = 0; now < 10 * TICK; now += TICK) {
            off.forgetQuiet(now, Set.of("r"));
            assertFalse(off.holding("r", now));
            off.flushed("r", true, now);
        }
        assertEquals(0, off.tracked());
    }
}
