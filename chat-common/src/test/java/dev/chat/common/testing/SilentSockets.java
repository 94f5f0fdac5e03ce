package dev.chat.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a client that holds sockets without ever finishing a request sees of a service's public port (both services'
 * socket-limit tests): which of its sockets the service has closed.
 */
public final class SilentSockets implements AutoCloseable {

    private final Selector selector;
    private final List<SocketChannel> sockets = new ArrayList<>();
    private final SortedSet<Integer> closed = new TreeSet<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(64);

    private SilentSockets(Selector selector) {
        this.selector = selector;
    }

    /** Opens {@code count} sockets to {@code server}, one after the other, and sends nothing on them. */
    public static SilentSockets open(URI server, int count) throws IOException {
        SilentSockets opened = new SilentSockets(Selector.open());
        for (int i = 0; i < count; i++) {
            SocketChannel socket = SocketChannel.open(new InetSocketAddress(server.getHost(), server.getPort()));
            socket.configureBlocking(false);
            socket.register(opened.selector, SelectionKey.OP_READ, i);
            opened.sockets.add(socket);
        }
        return opened;
    }

    /** How many the service has closed by now (waits up to 100 ms for news): their indexes are in {@link #closed()}. */
    public int closedByTheService() throws IOException {
        selector.select(100);
        for (SelectionKey key : selector.selectedKeys()) {
            if (((SocketChannel) key.channel()).read(buffer.clear()) < 0) {
                closed.add((Integer) key.attachment());
                key.cancel();
            }
        }
        selector.selectedKeys().clear();
        return closed.size();
    }

    /** The indexes, in the order they were opened, of the sockets the service closed. */
    public SortedSet<Integer> closed() {
        return closed;
    }

    /**
     * Sends the start of a request and never the rest: the socket must stay open for a second (well within the idle
     * timeouts the tests set) and then be closed by the service with no answer.
     */
    public static void assertAnUnfinishedRequestIsClosedAfterItsIdleTimeout(URI server, String start) throws IOException {
        try (Socket stalled = new Socket(server.getHost(), server.getPort())) {
            stalled.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
            stalled.setSoTimeout(1_000);
            assertThrows(SocketTimeoutException.class, () -> stalled.getInputStream().read(), "open while within the idle timeout");
            stalled.setSoTimeout(30_000);
            int read;
            try {
                read = stalled.getInputStream().read();
            } catch (SocketException reset) {
                read = -1;
            }
            assertEquals(-1, read, "the unfinished request's socket was closed, with no answer");
        }
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel socket : sockets) {
            socket.close();
        }
        selector.close();
    }
}
