package dev.chat.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** A client that pipelines HTTP/1.1 requests and never reads the answers, against a service's public port. */
public final class PipeliningClient {

    /** Far more than the kernel's buffers on both ends hold; a service that reads on takes it within a few seconds. */
    private static final long CAP = 64L << 20;

    private PipeliningClient() {
    }

    /**
     * Sends {@code count} requests ({@code head}: request line and headers, each ending in CRLF) in one write, then reads:
     * each must be answered, in order, with {@code status}. Pipelining is slowed by the bound on read-ahead, never stalled.
     */
    public static void assertEveryRequestIsAnswered(URI server, String head, int count, int status) throws IOException {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((head + "\r\n").repeat(count).getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            for (int i = 1; i <= count; i++) {
                String statusLine = line(in);
                assertEquals("HTTP/1.1 " + status, statusLine.substring(0, Math.min(statusLine.length(), 12)),
                        "answer " + i + " of " + count + ": " + statusLine);
                skipBody(in);
            }
        }
    }

    /** Reads an answer's headers and body (Content-Length or chunked). */
    private static void skipBody(DataInputStream in) throws IOException {
        long length = 0;
        boolean chunked = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            String lower = header.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (!chunked) {
            in.skipNBytes(length);
            return;
        }
        for (long chunk = Long.parseLong(line(in).trim(), 16); chunk > 0; chunk = Long.parseLong(line(in).trim(), 16)) {
            in.skipNBytes(chunk + 2);
        }
        line(in); // the empty line after the last chunk
    }

    private static String line(DataInputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the service closed the connection after: " + line);
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /**
     * Sends the request ({@code head}: its request line and headers, each ending in CRLF) over and over on one socket,
     * padded to about 4 KB, and reads nothing. The service must stop reading the socket, and keep it open (closing it would
     * also end the reading, but is not the bound): what it takes is then bounded by the kernel's buffers, and the socket
     * stops taking bytes (for 2 s on end). A service that read on would take all 64 MB.
     */
    public static void assertTheServiceStopsReading(URI server, String head) throws IOException {
        ByteArrayOutputStream requests = new ByteArrayOutputStream();
        byte[] request = (head + "X-Pad: " + "p".repeat(4000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 16; i++) {
            requests.write(request);
        }
        ByteBuffer chunk = ByteBuffer.wrap(requests.toByteArray());
        Taken taken;
        try (SocketChannel socket = SocketChannel.open()) {
            // Small buffers on the client's side: a 4 KB window keeps the service's answers in the service.
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            socket.setOption(StandardSocketOptions.SO_SNDBUF, 8192);
            socket.connect(new InetSocketAddress(server.getHost(), server.getPort()));
            taken = writeUntilItStalls(socket, chunk);
        }
        assertTrue(taken.stalled(), "the service stopped reading a client that never read its answers, the socket still open: " + taken);
    }

    /** Why the writing stopped, and how many bytes the socket took. */
    record Taken(long bytes, boolean stalled, boolean closed) {
    }

    /**
     * Writes {@code chunk} over and over (whole, a partial write finished before it starts again) until the socket has not
     * been writable for 2 s on end, {@link #CAP} bytes went, or the service closed it.
     */
    private static Taken writeUntilItStalls(SocketChannel socket, ByteBuffer chunk) throws IOException {
        socket.configureBlocking(false);
        long taken = 0;
        try (Selector selector = Selector.open()) {
            socket.register(selector, SelectionKey.OP_WRITE);
            while (taken < CAP) {
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
