package dev.chat.gateway.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the subscriber's loop reads in one turn reaches each room's home loop together, in order, after that turn. */
class TurnBatchesTest {

    final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    EventLoop[] loops() {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : vertx.nettyEventLoopGroup()) {
            loops.add((EventLoop) executor);
        }
        return loops.toArray(EventLoop[]::new);
    }

    @Test
    void tasksHandedInOneTurnReachTheirHomeLoopsOnlyAfterThatTurnInOrderOnTheHomeThread() throws Exception {
        EventLoop[] loops = loops();
        TurnBatches turns = new TurnBatches(loops);
        int count = 200;
        ConcurrentLinkedQueue<String> ran = new ConcurrentLinkedQueue<>();
        CountDownLatch all = new CountDownLatch(count);
        CompletableFuture<Integer> ranDuringTheTurn = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            for (int i = 0; i < count; i++) {
                EventLoop home = loops[i % loops.length];
                int n = i;
                turns.hand(home, () -> {
                    ran.add(n + "@" + (home.inEventLoop() ? "home" : Thread.currentThread().getName()));
                    all.countDown();
                });
            }
            // Still the same turn: with a task per message the other loops would run theirs meanwhile.
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            ranDuringTheTurn.complete(ran.size());
        });
        assertEquals(0, ranDuringTheTurn.get(5, TimeUnit.SECONDS), "nothing ran before the turn that read it ended");
        assertTrue(all.await(5, TimeUnit.SECONDS), "every task ran after the turn");
        List<Integer> perLoop = new ArrayList<>();
        for (int l = 0; l < loops.length; l++) {
            perLoop.add(-1);
        }
        for (String entry : ran) {
            int n = Integer.parseInt(entry.substring(0, entry.indexOf('@')));
            assertTrue(entry.endsWith("@home"), "ran on its home loop: " + entry);
            int l = n % loops.length;
            assertTrue(n > perLoop.get(l), "each home loop runs its tasks in the order they were handed: " + ran);
            perLoop.set(l, n);
        }
    }

    @Test
    void fromAThreadThatIsNotAnEventLoopATaskGoesToItsHomeAtOnce() throws Exception {
        EventLoop[] loops = loops();
        TurnBatches turns = new TurnBatches(loops);
        CompletableFuture<Boolean> ran = new CompletableFuture<>();
        turns.hand(loops[0], () -> ran.complete(loops[0].inEventLoop()));
        assertTrue(ran.get(5, TimeUnit.SECONDS));
    }
}
