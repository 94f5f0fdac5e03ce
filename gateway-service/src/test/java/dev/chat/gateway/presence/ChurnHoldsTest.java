package dev.chat.gateway.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a gateway does with Redis's answers about a room's hold, without Redis or clocks: {@link ChurnHolds}. */
class ChurnHoldsTest {

    final ChurnHolds holds = new ChurnHolds();

    @Test
    void aRoomIsHeldUntilTheEndRedisGave() {
        holds.replied("r", 1_000, false);
        assertTrue(holds.holding("r", 999));
        assertFalse(holds.holding("r", 1_000));
        assertFalse(holds.holding("other", 1), "holds are per room");
    }

    @Test
    void aHoldWithNothingOfOursWaitingEndsQuietly() {
        holds.replied("r", 1_000, false);
        assertEquals(List.of(), holds.ended(999));
        assertEquals(List.of(), holds.ended(1_000), "nothing to announce for a hold our changes did not wait for");
        assertEquals(0, holds.tracked());
    }

    @Test
    void aRoomWhoseChangesWaitedIsDueWhenItsHoldEnds() {
        holds.replied("r", 1_000, true);
        holds.replied("s", 2_000, true);
        assertEquals(List.of(), holds.ended(999));
        assertEquals(List.of("r"), holds.ended(1_000));
        assertEquals(List.of(), holds.ended(1_500), "each room is due once");
        assertEquals(List.of("s"), holds.ended(2_000));
    }

    @Test
    void anAnswerWithoutAHoldReleasesTheRoom() {
        holds.replied("r", 1_000, true);
        holds.replied("r", 0, false);
        assertFalse(holds.holding("r", 1));
        assertEquals(List.of(), holds.ended(1_000), "a later call announced what waited");
    }
}
