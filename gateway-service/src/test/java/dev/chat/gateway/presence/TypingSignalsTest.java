package dev.chat.gateway.presence;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Typing signals pass at most once per interval per user and room, and a user's state stays as small as that needs. */
class TypingSignalsTest {

    private static final long INTERVAL = 2_000;

    private final TypingSignals typing = new TypingSignals(null, null, INTERVAL);

    @Test
    void aRoomSignalsOncePerInterval() {
        assertTrue(typing.allowed("ann", "lobby", 10_000));
        assertFalse(typing.allowed("ann", "lobby", 11_999), "within the interval: no news");
        assertTrue(typing.allowed("ann", "lobby", 12_000));
        assertTrue(typing.allowed("bob", "lobby", 11_000), "another user's signal is news");
    }

    @Test
    void typingInEverNewRoomsHoldsOnlyTheRoomsOfTheLastInterval() {
        long now = 0;
        for (int room = 0; room < 10_000; room++) {
            now += 10;
            assertTrue(typing.allowed("mallory", "room-" + room, now));
        }
        // One interval holds 200 rooms at one every 10 ms; a few more wait for the next prune.
        assertTrue(typing.trackedRooms("mallory") <= 300,
                "rooms held for one user: " + typing.trackedRooms("mallory"));
        // What was pruned was no news: the newest rooms are still refused within the interval.
        assertFalse(typing.allowed("mallory", "room-9999", now + 1));
    }
}
