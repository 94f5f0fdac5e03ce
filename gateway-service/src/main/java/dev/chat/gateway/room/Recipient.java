package dev.chat.gateway.room;

import io.netty.channel.EventLoop;

/** Where a room delivers: one client connection, written to with frames that are already encoded. */
public interface Recipient {

    /** The authenticated user behind the connection. */
    String user();

    /** Whether this connection has joined the room (then it gets the room's messages as a member). */
    boolean hasJoined(String room);

    /** Writes an encoded frame; never blocks, never throws (a recipient that cannot keep up closes itself). */
    void send(String frame);

    /** Writes a room's message as Redis carried it (its wire bytes are shared by every recipient). */
    default void send(RoomMessage message) {
        send(message, null);
    }

    /**
     * A message of one of the user's direct-message rooms from the user's channel, in seq order: written unless this
     * connection joined the room (its membership writes the room's messages then). From any thread.
     */
    default void sendDirect(RoomMessage message) {
        if (!hasJoined(message.room())) {
            send(message);
        }
    }

    /**
     * The user's channel restarted one of the user's direct-message rooms at {@code seq} ({@code frame}: {@code joined},
     * recovered false): written unless this connection joined the room. From any thread, in order with {@link #sendDirect}.
     */
    default void sendDirectRestart(String room, long seq, String epoch, String frame) {
        if (!hasJoined(room)) {
            send(frame);
        }
    }

    /**
     * Writes an encoded frame and runs {@code written} once it was written to the socket (not if the
     * connection closes first): lets a long replay go at the pace the client reads.
     */
    void send(String frame, Runnable written);

    /**
     * Writes a room's message as Redis carried it and runs {@code written} (may be null) once it was written to the
     * socket: a replay writes the room's frames as live delivery does, at the pace the client reads.
     */
    default void send(RoomMessage message, Runnable written) {
        send(message.frame(), written);
    }

    /**
     * Until {@link #flush()}, frames written on the connection's event loop wait in the socket's buffer instead of
     * going out one socket write each: a room's burst of frames (a presence batch) reaches the client in one write.
     * Called on the connection's event loop only; by default frames go out at once.
     */
    default void holdFlushes() {
    }

    /** Ends {@link #holdFlushes()}: what waits goes out in one socket write. */
    default void flush() {
    }

    /**
     * The event loop that owns the connection's socket. Deliveries to it run there, so writes need
     * no hop to another thread; null when unknown (then any thread may write).
     */
    EventLoop eventLoop();

    /** Runs a task on the connection's event loop: at once if already there (or when the loop is unknown), else queued. */
    default void runOnLoop(Runnable task) {
        EventLoop loop = eventLoop();
        if (loop == null || loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}
