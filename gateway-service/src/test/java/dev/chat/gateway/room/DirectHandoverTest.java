package dev.chat.gateway.room;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.protocol.PresenceMode;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A connection that leaves its own direct-message room gets the room's messages through its user's channel again: each
 * message once, in order, whichever of the two paths was ahead when it left.
 */
class DirectHandoverTest {

    static final String ROOM = "dm:alice:bob";
    static final String JOINED = "{\"type\":\"joined\"}";

    final MemberTest.Frames client = new MemberTest.Frames();
    final ScriptedLog log = new ScriptedLog();

    @Test
    void messagesTheChannelPassedOverWhileTheMembershipHadNotWrittenThemAreReadFromTheLog() {
        Member member = liveMember();
        member.deliver(message(1));
        member.passedOver(1);
        member.passedOver(2);
        member.passedOver(3);
        member.stop();

        DirectHandover handover = member.handOver();
        log.answer(2, 3);

        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3)), client.frames);
        assertFalse(handover.offer(message(4)), "the channel has caught up: the caller writes 4");
    }

    @Test
    void messagesTheMembershipWroteAheadOfTheChannelAreNotWrittenAgain() {
        Member member = liveMember();
        member.passedOver(1);
        for (long seq = 1; seq <= 3; seq++) {
            member.deliver(message(seq));
        }
        member.stop();

        DirectHandover handover = member.handOver();

        assertTrue(handover.offer(message(2)));
        assertTrue(handover.offer(message(3)));
        assertFalse(handover.offer(message(4)));
        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3)), client.frames);
        assertTrue(log.reads.isEmpty(), "nothing to read");
    }

    @Test
    void whatTheChannelBringsDuringAReadIsReadFromTheLogAfterItNotHeld() {
        Member member = liveMember();
        member.passedOver(1);
        member.stop();
        DirectHandover handover = member.handOver();

        assertTrue(handover.offer(message(2)));
        assertTrue(handover.offer(message(3)));
        log.answer(1, 1);
        log.answer(2, 3);

        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3)), client.frames);
        assertFalse(handover.offer(message(4)));
    }

    @Test
    void aGapTheLogNoLongerHoldsSendsTheClientToHistory() {
        Member member = liveMember();
        member.passedOver(1);
        member.passedOver(2);
        member.stop();
        member.handOver();

        log.answerNothing();

        assertEquals(List.of(JOINED, "lost " + ROOM + " up to 2 at e1"), client.frames);
    }

    @Test
    void aMembershipThatNeverGotItsJoinedGetsWhatTheChannelPassedOver() {
        Member member = unjoinedMember();
        member.passedOver(7);
        member.passedOver(8);
        member.stop();

        member.handOver();
        log.answer(7, 8);

        assertEquals(List.of(frame(7), frame(8)), client.frames);
    }

    @Test
    void aMembershipThatWroteNothingAndPassedNothingOverNeedsNoHandover() {
        Member member = unjoinedMember();
        member.stop();

        assertNull(member.handOver());
    }

    @Test
    void aJoinAgainEndsTheHandoverAndItsReadWritesNothing() {
        Member member = liveMember();
        member.passedOver(1);
        member.stop();
        DirectHandover handover = member.handOver();

        handover.cancel();
        log.answer(1, 1);

        assertEquals(List.of(JOINED), client.frames);
        assertFalse(handover.offer(message(2)), "a cancelled handover decides nothing");
    }

    @Test
    void aMembershipThatNeverGotItsJoinedSendsTheClientToHistoryWithTheRoomsEpoch() {
        Member member = unjoinedMember();
        member.passedOver(7);
        member.stop();
        member.handOver();

        log.answerNothing();

        assertEquals(List.of("lost " + ROOM + " up to 7 at e-now"), client.frames);
    }

    @Test
    void aJoinAgainThatFailsLeavesTheClientWithWhatItHadNotWhatTheNewMembershipPassedOver() {
        // Left at 10 while the channel was at 7: the handover waits for 8..10 to drop them.
        Member first = liveMember();
        first.passedOver(1);
        for (long seq = 1; seq <= 10; seq++) {
            first.deliver(message(seq));
        }
        first.passedOver(7);
        first.stop();
        DirectHandover handover = first.handOver();

        // Joined again: the channel passes 8..10 over for the new membership, whose join then fails.
        Member second = unjoinedMember();
        handover.cancelFor(second);
        for (long seq = 8; seq <= 10; seq++) {
            second.passedOver(seq);
        }
        second.stop();
        DirectHandover after = second.handOver();

        assertTrue(log.reads.isEmpty(), "8..10 are not read again: the client has them");
        assertFalse(after.offer(message(11)));
        assertEquals(10, client.frames.size() - 1);
    }

    @Test
    void aJoinAgainCutsAReadShortAndItsFailureReadsWhatTheCutReadWasFor() {
        Member first = liveMember();
        first.deliver(message(1));
        first.passedOver(1);
        first.passedOver(2);
        first.passedOver(3);
        first.stop();
        DirectHandover handover = first.handOver();

        Member second = unjoinedMember();
        handover.cancelFor(second);
        log.answer(2, 3);
        second.stop();
        second.handOver();
        log.answer(2, 3);

        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3)), client.frames, "2 and 3 once, from the second read");
    }

    @Test
    void aRepeatedJoinThatFailsTakesOverWhatThePreviousMembershipGaveTheClient() {
        Member first = liveMember();
        for (long seq = 1; seq <= 4; seq++) {
            first.deliver(message(seq));
        }
        first.passedOver(1);
        first.passedOver(2);
        first.stop();

        Member second = unjoinedMember();
        second.takeOver(first);
        second.passedOver(3);
        second.passedOver(4);
        second.passedOver(5);
        second.stop();
        DirectHandover after = second.handOver();
        log.answer(5, 5);

        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3), frame(4), frame(5)), client.frames);
        assertFalse(after.offer(message(6)));
    }

    @Test
    void aRestartOfTheChannelDuringAJoinThatFailsSendsTheClientToHistoryUpToIt() {
        // The client had 1..4 from a handover; the channel then restarted the room at 9 (5..8 are history's), while the
        // new membership's join was in flight, and passed 10 over for it.
        Member first = liveMember();
        for (long seq = 1; seq <= 4; seq++) {
            first.deliver(message(seq));
        }
        first.stop();
        DirectHandover handover = first.handOver();
        Member second = unjoinedMember();
        handover.cancelFor(second);
        second.channelRestarted(9, "e2");
        second.passedOver(10);
        second.stop();

        DirectHandover after = second.handOver();
        log.answer(10, 10);

        assertEquals(List.of(JOINED, frame(1), frame(2), frame(3), frame(4), "lost " + ROOM + " up to 9 at e2", frame(10)), client.frames);
        assertFalse(after.offer(message(11)));
    }

    @Test
    void aRestartOfTheChannelAfterTheJoinedIsTheMembershipsToTell() {
        Member member = liveMember();
        member.channelRestarted(9, "e2");
        member.stop();

        DirectHandover after = member.handOver();

        assertFalse(after.offer(message(1)), "the channel goes on from what the membership wrote");
        assertEquals(List.of(JOINED), client.frames, "no restart frame from the handover: the room's own order told the member");
    }

    @Test
    void aLogReadThatNeverAnswersSendsTheClientToHistoryAndTheChannelGoesOn() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            OnLoop connection = new OnLoop(loop);
            Member member = new Member(ROOM, connection, PresenceMode.EVENTS);
            member.attach(new MemberTest.StalledLog());
            DirectHandover handover = loop.submit(() -> {
                member.start(JOINED, "e1", 0, 0, List.of());
                member.passedOver(1);
                member.stop();
                return member.handOver();
            }).get();

            await().atMost(Duration.ofMillis(DirectHandover.READ_TIMEOUT_MS + 5_000))
                    .until(() -> connection.frames.contains("{\"type\":\"joined\",\"recovered\":false}"));
            assertFalse(loop.submit(() -> handover.offer(message(2))).get(), "the channel's next message is written again");
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
    }

    /** A membership that got its {@code joined} at seq 0 and is live. */
    private Member liveMember() {
        Member member = unjoinedMember();
        member.start(JOINED, "e1", 0, 0, List.of());
        return member;
    }

    /** A membership whose join has not completed: no {@code joined} yet. */
    private Member unjoinedMember() {
        Member member = new Member(ROOM, client, PresenceMode.EVENTS);
        member.attach(log);
        return member;
    }

    static RoomMessage message(long seq) {
        return new RoomMessage("message", seq, ROOM, "bob", 0, frame(seq));
    }

    static String frame(long seq) {
        return "{\"type\":\"message\",\"room\":\"" + ROOM + "\",\"seq\":" + seq + "}";
    }

    /** A connection on a real event loop, recording what is written to it. */
    static final class OnLoop implements Recipient {
        final List<String> frames = new CopyOnWriteArrayList<>();
        private final EventLoop loop;

        OnLoop(EventLoop loop) {
            this.loop = loop;
        }

        @Override
        public String user() {
            return "alice";
        }

        @Override
        public boolean hasJoined(String room) {
            return false;
        }

        @Override
        public void send(String frame) {
            frames.add(frame);
        }

        @Override
        public void send(String frame, Runnable written) {
            frames.add(frame);
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }
    }

    /** The room's recent log, answering each read when the test says, in the order the reads came. */
    static final class ScriptedLog implements Member.CatchUp {
        record Read(long from, long to, Promise<List<RoomMessage>> answer) {
        }

        final Queue<Read> reads = new ArrayDeque<>();

        @Override
        public Future<List<RoomMessage>> read(String room, long from, long to, int count) {
            Promise<List<RoomMessage>> answer = Promise.promise();
            reads.add(new Read(from, to, answer));
            return answer.future();
        }

        /** Answers the oldest read, which must be for exactly {@code from..to}, with those messages. */
        void answer(long from, long to) {
            Read read = reads.remove();
            assertEquals(from, read.from(), "read from");
            assertEquals(to, read.to(), "read to");
            read.answer().complete(LongStream.rangeClosed(from, to).mapToObj(DirectHandoverTest::message).toList());
        }

        /** Answers the oldest read as a log trimmed past it. */
        void answerNothing() {
            reads.remove().answer().complete(List.of());
        }

        @Override
        public String lost(String room, long seq, String epoch) {
            return "lost " + room + " up to " + seq + (epoch == null ? "" : " at " + epoch);
        }

        @Override
        public int chunk() {
            return 100;
        }

        @Override
        public Future<String> epoch(String room) {
            return Future.succeededFuture("e-now");
        }
    }
}
