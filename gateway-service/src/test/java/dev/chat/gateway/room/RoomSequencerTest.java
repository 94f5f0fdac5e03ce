package dev.chat.gateway.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The room's order on its own, without Redis: every transition of {@link RoomSequencer}. */
class RoomSequencerTest {

    final List<Long> delivered = new ArrayList<>();
    final List<long[]> fetches = new ArrayList<>();
    final List<Integer> positionReads = new ArrayList<>();
    int lastToken;

    final RoomSequencer order = new RoomSequencer(new RoomSequencer.Effects() {
        @Override
        public void deliver(RoomMessage message) {
            delivered.add(message.seq());
        }

        @Override
        public void fetch(int token, long from, long to) {
            lastToken = token;
            fetches.add(new long[] {from, to});
        }

        @Override
        public void readPosition(int token) {
            lastToken = token;
            positionReads.add(token);
        }
    }, 3, 100);

    static RoomMessage m(long seq) {
        return new RoomMessage("message", seq, "r", "u", 0, "{\"seq\":" + seq + "}");
    }

    static List<RoomMessage> range(long from, long to) {
        List<RoomMessage> list = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            list.add(m(s));
        }
        return list;
    }

    @Test
    void aNewRoomHoldsLiveMessagesUntilItsStartIsKnownThenDeliversWhatFollowsIt() {
        order.live(m(5));
        order.live(m(6));
        assertEquals(List.of(), delivered, "nothing before the start position is known");
        order.start(4);
        assertEquals(List.of(5L, 6L), delivered);
        assertEquals(RoomSequencer.State.LIVE, order.state());
    }

    @Test
    void theFirstMessageAfterTheStartIsNeverSkippedEvenIfOnlyALaterOneArrived() {
        order.live(m(7));
        order.start(5);
        assertEquals(List.of(), delivered, "6 is missing: 7 waits");
        assertEquals(6, fetches.get(0)[0]);
        assertEquals(6, fetches.get(0)[1]);
        order.filled(lastToken, range(6, 6), 6);
        assertEquals(List.of(6L, 7L), delivered);
    }

    @Test
    void aJumpIsFilledAndTheLaterMessageWaitsBehindTheFill() {
        order.start(0);
        order.live(m(1));
        order.live(m(4));
        order.live(m(5));
        assertEquals(List.of(1L), delivered);
        order.filled(lastToken, range(2, 3), 3);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), delivered);
    }

    @Test
    void aFillThatDoesNotStartExactlyAtTheGapResetsTheRoomInsteadOfSkipping() {
        order.start(0);
        order.live(m(1));
        order.live(m(4));
        order.filled(lastToken, range(3, 3), 3);
        assertEquals(List.of(1L), delivered, "never 3 without 2");
        assertEquals(RoomSequencer.State.RESETTING, order.state());
        assertEquals(1, positionReads.size());
        List<Long> told = new ArrayList<>();
        assertTrue(order.restartAt(lastToken, 4, () -> told.add(4L)));
        assertEquals(List.of(4L), told, "members restart at the new position (recovered: false)");
        order.live(m(5));
        assertEquals(List.of(1L, 5L), delivered);
    }

    @Test
    void aFillWithAHoleInTheMiddleResetsTheRoom() {
        order.start(0);
        order.live(m(5));
        order.filled(lastToken, List.of(m(1), m(2), m(4)), 4);
        assertEquals(List.of(1L, 2L), delivered);
        assertEquals(RoomSequencer.State.RESETTING, order.state());
    }

    @Test
    void aStaleFillAnswerAfterAResetIsIgnored() {
        order.start(0);
        order.live(m(3));
        int fill = lastToken;
        order.reset();
        order.filled(fill, range(1, 2), 2);
        assertEquals(List.of(), delivered);
        assertTrue(!order.restartAt(fill, 10, () -> { }), "a stale position answer is refused too");
    }

    @Test
    void heldMessagesAreBoundedAndTheDroppedOnesAreReadBackFromTheLog() {
        order.start(0);
        order.live(m(2));
        for (long s = 3; s <= 10; s++) {
            order.live(m(s));
        }
        order.filled(lastToken, range(1, 1), 1);
        // Only the newest 3 were held (8, 9, 10): 2..7 come from a second fill.
        assertEquals(List.of(1L), delivered);
        assertEquals(2, fetches.get(1)[0]);
        assertEquals(7, fetches.get(1)[1]);
        order.filled(lastToken, range(2, 7), 7);
        assertEquals(range(1, 10).stream().map(RoomMessage::seq).toList(), delivered);
    }

    @Test
    void aLostTailIsFilledOnceTwoPositionChecksInARowSeeItsHead() {
        order.start(0);
        order.live(m(1));
        order.head(3);
        assertTrue(fetches.isEmpty(), "one sighting may be a message still in flight");
        order.head(3);
        assertEquals(2, fetches.get(0)[0]);
        order.filled(lastToken, range(2, 3), 3);
        assertEquals(List.of(1L, 2L, 3L), delivered);
    }

    @Test
    void afterAResubscriptionEverythingUpToTheHeadIsFilledAndAHeadBehindMeansReset() {
        order.start(0);
        order.live(m(1));
        order.resubscribed(4, 1);
        order.filled(lastToken, range(2, 4), 4);
        assertEquals(List.of(1L, 2L, 3L, 4L), delivered);
        order.resubscribed(2, 4);
        assertEquals(RoomSequencer.State.RESETTING, order.state(), "Redis went back: members must start over");
    }

    @Test
    void aLongGapIsFilledInBoundedReads() {
        RoomSequencer small = new RoomSequencer(new RoomSequencer.Effects() {
            @Override
            public void deliver(RoomMessage message) {
                delivered.add(message.seq());
            }

            @Override
            public void fetch(int token, long from, long to) {
                lastToken = token;
                fetches.add(new long[] {from, to});
            }

            @Override
            public void readPosition(int token) {
            }
        }, 10, 4);
        small.start(0);
        small.live(m(11));
        assertEquals(4, fetches.get(0)[1], "at most 4 per read");
        small.filled(lastToken, range(1, 4), 4);
        small.filled(lastToken, range(5, 8), 8);
        small.filled(lastToken, range(9, 10), 10);
        assertEquals(range(1, 11).stream().map(RoomMessage::seq).toList(), delivered);
    }
}
