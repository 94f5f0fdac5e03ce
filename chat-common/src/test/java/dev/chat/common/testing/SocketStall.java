package dev.chat.common.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/** How much a service takes from a client that keeps writing: bounded by the kernel's buffers once it stops reading. */
public final class SocketStall {

    /** Why the writing stopped, and how many bytes the socket took. */
    public record Taken(long bytes, boolean stalled, boolean closed) {
    }

    private SocketStall() {
    }

    /**
     * Writes {@code chunk} over and over (whole, a partial write finished before it starts again) until the socket has not
     * been writable for 2 s on end, {@code cap} bytes went, or the service closed it. Leaves the socket non-blocking.
     */
    public static Taken writeUntilItStalls(SocketChannel socket, ByteBuffer chunk, long cap) throws IOException {
        socket.configureBlocking(false);
        long taken = 0;
        chunk.rewind();
        try (Selector selector = Selector.open()) {
            socket.register(selector, SelectionKey.OP_WRITE);
            while (taken < cap) {
                if (selector.select(2_000) == 0) {
                    return new Taken(taken, true, false);
                }
                selector.selectedKeys().clear();
                if (!chunk.hasRemaining()) {
                    chunk.rewind();
                }
                try {
                    taken += socket.write(chunk);
                } catch (IOException closed) {
                    return new Taken(taken, false, true);
                }
            }
        }
        return new Taken(taken, false, false);
    }
}
