package dev.chat.gateway.connection;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * A connection's frames not yet handled, handled one at a time in arrival order. Bounded: past
 * {@code maxFrames} or {@code maxBytes} waiting, reading from the socket pauses until half has been
 * handled; past four times either bound (frames already read when the pause took effect, or no socket
 * to pause) the connection is closed. The queue exists only while frames wait. Frames that arrive
 * before {@link #release} (the welcome is not out yet) wait too, so the welcome is the first text frame a
 * client receives (a pong may come before it: control frames are answered apart, by ControlFrames).
 */
final class InboundFrames {

    /** The result of a frame's arrival. */
    enum Arrival { QUEUED, OVERFLOW }

    private final ConnectionBase socket;
    private ArrayDeque<String> waiting;
    private int waitingBytes;
    private boolean busy = true;
    private boolean paused;
    private boolean stopped;
    /**
     * The context of the frame that started the current run, on which the frames queued behind it are handled;
     * let go when the queue empties, so an idle connection keeps none (each frame's context holds its own map).
     */
    private Context context;

    InboundFrames(ConnectionBase socket) {
        this.socket = socket;
    }

    /**
     * Takes a frame: handles it now if nothing else is being handled, else queues it (pausing reads at the
     * bound). OVERFLOW means the hard bound was passed: the caller closes the connection.
     */
    Arrival arrived(String text, Limits limits, Function<String, Uni<Void>> handler) {
        synchronized (this) {
            if (context == null) {
                context = Vertx.currentContext();
            }
            if (busy) {
                if (waiting == null) {
                    waiting = new ArrayDeque<>(8);
                }
                waiting.add(text);
                waitingBytes += text.length();
                if (waiting.size() > 4 * limits.maxFrames() || waitingBytes > 4L * limits.maxBytes()) {
                    return Arrival.OVERFLOW;
                }
                if (!paused && socket != null && (waiting.size() >= limits.maxFrames() || waitingBytes >= limits.maxBytes())) {
                    paused = true;
                    socket.doPause();
                }
                return Arrival.QUEUED;
            }
            busy = true;
        }
        run(text, limits, handler);
        return Arrival.QUEUED;
    }

    /** The welcome is out: handles what arrived before it, then each frame as it comes. */
    void release(Limits limits, Function<String, Uni<Void>> handler) {
        next(limits, handler);
    }

    /** Reads nothing more from the socket (a connection closed for abuse: ChatSession.closeForAbuse). */
    void stopReading() {
        synchronized (this) {
            stopped = true;
        }
        if (socket != null) {
            socket.doPause();
        }
    }

    int waiting() {
        synchronized (this) {
            return waiting == null ? 0 : waiting.size();
        }
    }

    private void run(String text, Limits limits, Function<String, Uni<Void>> handler) {
        Uni<Void> handled;
        try {
            handled = handler.apply(text);
        } catch (RuntimeException e) {
            // The handler answers its own failures (FrameHandler); one that escapes it must not stop the frames after it.
            Log.errorf(e, "A frame's handling failed before it could be answered");
            handled = Uni.createFrom().voidItem();
        }
        handled.subscribe().with(v -> next(limits, handler), e -> next(limits, handler));
    }

    private void next(Limits limits, Function<String, Uni<Void>> handler) {
        String text;
        Context runOn;
        synchronized (this) {
            text = waiting == null ? null : waiting.poll();
            if (text == null) {
                busy = false;
                waiting = null;
                context = null;
                return;
            }
            runOn = context;
            waitingBytes -= text.length();
            if (paused && !stopped && waiting.size() <= limits.maxFrames() / 2 && waitingBytes <= limits.maxBytes() / 2) {
                paused = false;
                socket.doResume();
            }
        }
        // Back on the connection's own context (a Redis reply may have completed the last frame elsewhere),
        // as a new task so a long queue of frames handled at once does not nest calls.
        if (runOn == null) {
            run(text, limits, handler);
        } else {
            runOn.runOnContext(v -> run(text, limits, handler));
        }
    }

    /** The bounds, shared by all connections. */
    record Limits(int maxFrames, int maxBytes) {
    }
}
