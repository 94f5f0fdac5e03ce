package dev.chat.gateway.room;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.chat.gateway.protocol.PresenceMode;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code chat.fan-out.write-interval}: a busy room's frames that arrive within the interval after a member's last write
 * leave together in that member's next write, in order; a frame into a room quiet for longer goes out at once.
 */
class WriteIntervalTest {

    final Vertx vertx = Vertx.vertx();
    final EventLoop[] loops = loops();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aBusyRoomsMessagesWithinTheIntervalReachEachMemberInOneWriteInOrder() {
        LocalRoom room = room(Duration.ofSeconds(3));
        // Members on two event loops: each loop writes to its own.
        Writes near = member(room, loops[0]);
        Writes far = member(room, loops[loops.length - 1]);

        deliver(room, 1, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> near.writes().size() == 1 && far.writes().size() == 1);
        // Five more, 20 ms apart: each in a turn of its own, all well inside the interval after the first write.
        for (int seq = 2; seq <= 6; seq++) {
            deliver(room, seq, (seq - 1) * 20L);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> near.writes().size() == 2 && far.writes().size() == 2);
        for (Writes member : List.of(near, far)) {
            assertEquals(List.of(List.of(1L), List.of(2L, 3L, 4L, 5L, 6L)), member.writes(),
                    "the first message at once, the next five in one socket write, in seq order");
        }
    }

    @Test
    void aMessageIntoARoomQuietForLongerThanTheIntervalGoesOutAtOnceAndTheNextOneInAWriteOfItsOwn() {
        LocalRoom room = room(Duration.ofSeconds(6));
        Writes member = member(room, loops[0]);

        deliver(room, 1, 0);
        // Well before the interval would have ended: the room was quiet, so nothing waits.
        await().atMost(Duration.ofSeconds(3)).until(() -> member.writes().size() == 1);
        deliver(room, 2, 0);

        await().atMost(Duration.ofSeconds(15)).until(() -> member.writes().size() == 2);
        assertEquals(List.of(List.of(1L), List.of(2L)), member.writes());
    }

    @Test
    void withoutAnIntervalEveryTurnsFramesGoOutAtTheEndOfThatTurn() {
        LocalRoom room = room(Duration.ZERO);
        Writes member = member(room, loops[0]);

        for (int seq = 1; seq <= 3; seq++) {
            deliver(room, seq, 0);
            int written = seq;
            await().atMost(Duration.ofSeconds(3)).until(() -> member.writes().size() == written);
        }
        assertEquals(List.of(List.of(1L), List.of(2L), List.of(3L)), member.writes());
    }

    @Test
    void framesWaitingForTheIntervalAreWrittenBeforeARestartToldAfterThem() throws Exception {
        LocalRoom room = room(Duration.ofSeconds(5));
        // The member on the room's home loop and on another: the restart runs at once on the first, queued on the second.
        Writes home = member(room, loops[0]);
        Writes other = member(room, loops[loops.length - 1]);
        deliver(room, 1, 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> home.writes().size() == 1 && other.writes().size() == 1);
        deliver(room, 2, 0);
        List<Integer> writtenAtRestart = new CopyOnWriteArrayList<>();

        // As the registry tells members of a restart: on the home loop, then on each member's loop.
        room.home.submit(() -> {
            room.writeWaiting();
            for (Writes member : List.of(home, other)) {
                Runnable restart = () -> writtenAtRestart.add(member.writes().size());
                if (member.eventLoop().inEventLoop()) {
                    restart.run();
                } else {
                    member.eventLoop().execute(restart);
                }
            }
        }).sync();

        await().atMost(Duration.ofSeconds(3)).until(() -> writtenAtRestart.size() == 2);
        assertEquals(List.of(2, 2), writtenAtRestart, "message 2 reached both members before the restart did");
    }

    @Test
    void aMessagesFanOutLatencyIsTakenOncePerGatewayAfterItsWriteIntervalWait() {
        Writes[] first = new Writes[1];
        List<String> timed = new CopyOnWriteArrayList<>();
        LocalRoom room = new LocalRoom("r", loops[0], Future.succeededFuture(), Duration.ofSeconds(3).toNanos(),
                acceptedAt -> timed.add(acceptedAt + (first[0].wrote(acceptedAt) ? " after" : " before") + " its write"));
        first[0] = member(room, loops[0]);
        Writes far = member(room, loops[loops.length - 1]);

        deliver(room, 1, 0);
        deliver(room, 2, 200); // waits for the rest of the interval after message 1's write
        await().atMost(Duration.ofSeconds(10)).until(() -> first[0].writes().size() == 2 && far.writes().size() == 2);
        // Each loop records (if at all) right after its writes, in the same task: once both loops ran one more task, all is in.
        for (EventLoop loop : List.of(loops[0], loops[loops.length - 1])) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        assertEquals(List.of("1 after its write", "2 after its write"), timed, "once per message however many loops write it");
    }

    @Test
    void anIntervalBelowZeroOrAboveFiveSecondsIsRefusedAtStart() {
        assertEquals(50_000_000L, RoomRegistry.writeIntervalNanos(Duration.ofMillis(50)));
        assertEquals(0L, RoomRegistry.writeIntervalNanos(Duration.ZERO));
        // A bare "50" is read as 50 seconds: every busy room would go silent for that long.
        assertThrows(IllegalArgumentException.class, () -> RoomRegistry.writeIntervalNanos(Duration.ofSeconds(50)));
        assertThrows(IllegalArgumentException.class, () -> RoomRegistry.writeIntervalNanos(Duration.ofMillis(-1)));
    }

    private LocalRoom room(Duration interval) {
        return new LocalRoom("r", loops[0], Future.succeededFuture(), interval.toNanos(), acceptedAt -> {
        });
    }

    /** A live member whose connection is owned by {@code loop}. */
    private Writes member(LocalRoom room, EventLoop loop) {
        Writes writes = new Writes(loop);
        Member member = new Member(room.name, writes, PresenceMode.EVENTS);
        loop.submit(() -> member.start("{\"type\":\"joined\"}", "e", 0, 0, List.of())).syncUninterruptibly();
        room.add(member);
        return writes;
    }

    /** Delivers message {@code seq} on the room's home loop after {@code delayMillis}, as the subscriber would. */
    private static void deliver(LocalRoom room, long seq, long delayMillis) {
        // Accepted at "time" seq: the fan-out latency's recording names the message.
        RoomMessage message = new RoomMessage("message", seq, room.name, "alice", seq,
                "{\"type\":\"message\",\"room\":\"r\",\"seq\":" + seq + "}");
        room.home.schedule(() -> room.deliver(message), delayMillis, TimeUnit.MILLISECONDS);
    }

    private EventLoop[] loops() {
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor executor : vertx.nettyEventLoopGroup()) {
            all.add((EventLoop) executor);
        }
        return all.toArray(EventLoop[]::new);
    }

    /** A connection that records the seqs of each socket write: frames between holdFlushes and flush share one. */
    static final class Writes implements Recipient {
        private final EventLoop loop;
        private final List<List<Long>> writes = new CopyOnWriteArrayList<>();
        private List<Long> held;

        Writes(EventLoop loop) {
            this.loop = loop;
        }

        List<List<Long>> writes() {
            return writes;
        }

        boolean wrote(long seq) {
            return writes.stream().anyMatch(write -> write.contains(seq));
        }

        @Override
        public String user() {
            return "bob";
        }

        @Override
        public boolean hasJoined(String room) {
            return true;
        }

        @Override
        public void send(String frame) {
            // joined: not a room message
        }

        @Override
        public void send(RoomMessage message) {
            if (held != null) {
                held.add(message.seq());
            } else {
                writes.add(List.of(message.seq()));
            }
        }

        @Override
        public void send(String frame, Runnable written) {
            written.run();
        }

        @Override
        public void holdFlushes() {
            held = new ArrayList<>();
        }

        @Override
        public void flush() {
            if (held != null && !held.isEmpty()) {
                writes.add(List.copyOf(held));
            }
            held = null;
        }

        @Override
        public EventLoop eventLoop() {
            return loop;
        }
    }
}
