package dev.chat.gateway.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.room.RoomMessage;
import dev.chat.gateway.room.RoomSequencer;
import org.junit.jupiter.api.Test;

/** A user messaging ever new users holds a bounded number of direct-message orders and remembered positions. */
class UserDirectRoomsTest {

    private static final RoomSequencer.Effects NOTHING = new RoomSequencer.Effects() {
        @Override
        public void deliver(RoomMessage message) {
        }

        @Override
        public void fetch(int token, long from, long to) {
        }

        @Override
        public void readPosition(int token) {
        }
    };

    private final UserDirectRooms.Totals totals = new UserDirectRooms.Totals();

    private static RoomSequencer settledAt(long delivered) {
        RoomSequencer order = new RoomSequencer(NOTHING, 10, 10);
        order.start(delivered);
        return order;
    }

    @Test
    void tenThousandRoomsLeaveAtMostTheOrderedAndRememberedCounts() {
        UserDirectRooms rooms = new UserDirectRooms(4, 16, totals);
        for (int i = 0; i < 10_000; i++) {
            rooms.add("dm:a:u" + i, settledAt(i));
        }
        assertEquals(4, rooms.orderCount());
        assertEquals(16, rooms.setAsideCount());
        assertTrue(rooms.forgotSome(), "the oldest positions were forgotten");
        assertEquals(4, totals.ordered().get(), "the metrics' totals follow");
        assertEquals(16, totals.setAside().get());
        rooms.release();
        assertEquals(0, totals.ordered().get(), "a user who left holds nothing");
        assertEquals(0, totals.setAside().get());
    }

    @Test
    void theLeastRecentlyActiveSettledRoomIsSetAsideWithItsDeliveredSeq() {
        UserDirectRooms rooms = new UserDirectRooms(2, 16, totals);
        rooms.add("dm:a:b", settledAt(7));
        rooms.add("dm:a:c", settledAt(3));
        rooms.order("dm:a:b");
        rooms.add("dm:a:d", settledAt(1));

        assertNull(rooms.order("dm:a:c"), "c was the least recently active");
        assertTrue(rooms.contains("dm:a:c"));
        assertEquals(3L, rooms.takeSetAside("dm:a:c"));
        assertNull(rooms.takeSetAside("dm:a:c"), "taken back once");
        assertFalse(rooms.forgotSome(), "nothing forgotten yet");
    }

    @Test
    void aRoomWhoseHeadIsAskedAfterAReconnectIsKeptUntilTheAnswer() {
        UserDirectRooms rooms = new UserDirectRooms(1, 16, totals);
        RoomSequencer waiting = settledAt(4);
        waiting.headAsked();
        rooms.add("dm:a:b", waiting);
        rooms.add("dm:a:c", settledAt(1));
        rooms.trim();

        assertSame(waiting, rooms.order("dm:a:b"), "the answer may show messages the outage cost");
        assertEquals(1L, rooms.takeSetAside("dm:a:c"), "the settled room went instead");
        waiting.resubscribed(4, 4);
        rooms.add("dm:a:d", settledAt(1));
        assertNull(rooms.order("dm:a:b"), "answered and settled: set aside");
        assertEquals(4L, rooms.takeSetAside("dm:a:b"));
    }

    @Test
    void aRoomStillStartingOrFillingIsNeverSetAside() {
        UserDirectRooms rooms = new UserDirectRooms(1, 16, totals);
        RoomSequencer starting = new RoomSequencer(NOTHING, 10, 10);
        rooms.add("dm:a:b", starting);
        RoomSequencer next = settledAt(5);
        rooms.add("dm:a:c", next);

        assertSame(starting, rooms.order("dm:a:b"), "a room whose start is not known keeps its order");
        assertEquals(2, rooms.orderCount(), "over the bound until it settles");
        starting.start(0);
        rooms.add("dm:a:d", settledAt(1));
        assertEquals(1, rooms.orderCount(), "the next add sets aside what settled");
    }
}
