package dev.chat.common.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/** How much a service takes from a client that keeps writing: bounded by the kernel's buffers once it stops reading. */
public final class SocketStall {

    private SocketStall() {
    }

    /**
     * Writes {@code chunk} over and over until the socket has not been writable for 2 s on end, {@code cap} bytes went, or
     * the service closed it; returns the bytes taken. Leaves the socket non-blocking.
     */
    public static long bytesTakenUntilItStalls(SocketChannel socket, ByteBuffer chunk, long cap) throws IOException {
        socket.configureBlocking(false);
        long taken = 0;
        try (Selector selector = Selector.open()) {
            socket.register(selector, SelectionKey.OP_WRITE);
            while (taken < cap && selector.select(2_000) > 0) {
                selector.selectedKeys().clear();
                try {
                    taken += socket.write(chunk.rewind());
                } catch (IOException closed) {
                    break; // the service closed the socket: it reads nothing more either
                }
            }
        }
        return taken;
    }
}
