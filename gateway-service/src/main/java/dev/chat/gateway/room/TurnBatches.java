package dev.chat.gateway.room;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.quarkus.logging.Log;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import java.util.ArrayList;
import java.util.List;

/**
 * What the Redis subscriber's connection reads in one turn of its event loop, handed to each room's home loop
 * in one task at the end of that turn instead of one task per message: fewer wake-ups across loops, and a burst
 * published together (a presence batch, several messages of busy rooms) reaches the home loops, and from there
 * each member ({@link LocalRoom}), together. Bound: one turn's read. Confined to the first loop that hands
 * anything; from any other thread, or on a loop without end-of-turn tasks, a task goes to its home loop at once.
 */
final class TurnBatches {

    private final EventLoop[] homes;
    private final List<List<Runnable>> pending = new ArrayList<>();
    private final Runnable endOfTurn = this::handOver;
    private volatile SingleThreadEventLoop reader;
    private boolean scheduled;

    TurnBatches(EventLoop[] homes) {
        this.homes = homes;
        for (int i = 0; i < homes.length; i++) {
            pending.add(new ArrayList<>());
        }
    }

    /** Runs {@code task} on {@code home} after what the current turn read before it, in order. */
    void hand(EventLoop home, Runnable task) {
        SingleThreadEventLoop loop = reader != null ? reader : bind();
        int index = loop != null && loop.inEventLoop() ? indexOf(home) : -1;
        if (index < 0) {
            home.execute(task);
            return;
        }
        pending.get(index).add(task);
        if (!scheduled) {
            scheduled = true;
            loop.executeAfterEventLoopIteration(endOfTurn);
        }
    }

    private SingleThreadEventLoop bind() {
        Context context = Vertx.currentContext();
        if (context instanceof ContextInternal internal && context.isEventLoopContext()
                && internal.nettyEventLoop() instanceof SingleThreadEventLoop loop) {
            reader = loop;
            return loop;
        }
        return null;
    }

    private int indexOf(EventLoop home) {
        for (int i = 0; i < homes.length; i++) {
            if (homes[i] == home) {
                return i;
            }
        }
        return -1;
    }

    private void handOver() {
        scheduled = false;
        for (int i = 0; i < homes.length; i++) {
            List<Runnable> run = pending.get(i);
            if (run.isEmpty()) {
                continue;
            }
            pending.set(i, new ArrayList<>());
            homes[i].execute(() -> {
                for (Runnable task : run) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        // One message's failure must not cost the others of the turn their delivery.
                        Log.errorf(e, "Delivering a message from Redis failed");
                    }
                }
            });
        }
    }
}
