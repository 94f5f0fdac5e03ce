package dev.chat.gateway;

import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A WebSocket client over a plain socket, for tests that must control exactly what is written and read (and when not). */
final class RawWebSocket {

    private static final byte[] MASK = {1, 2, 3, 4};

    private RawWebSocket() {
    }

    static void upgrade(Socket socket, String token) throws IOException {
        String request = "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Authorization: Bearer " + token + "\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int newlines = 0;
        while (newlines < 2) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed during the upgrade");
            }
            if (c == '\n') {
                newlines++;
            } else if (c != '\r') {
                newlines = 0;
            }
        }
    }

    static void sendText(OutputStream out, String text) throws IOException {
        sendFragment(out, text.getBytes(StandardCharsets.UTF_8), true, true);
    }

    /** One frame of a (possibly fragmented) text message, masked as a client must. */
    static void sendFragment(OutputStream out, byte[] payload, boolean first, boolean last) throws IOException {
        send(out, first ? 0x1 : 0x0, payload, last);
    }

    /** The pong a client owes a ping: the ping's payload echoed. */
    static void sendPong(OutputStream out, byte[] payload) throws IOException {
        send(out, 0xA, payload, true);
    }

    /** A WebSocket ping: the gateway owes a pong with the same payload. */
    static void sendPing(OutputStream out, byte[] payload) throws IOException {
        send(out, 0x9, payload, true);
    }

    /**
     * {@code count} pings of 125 bytes (the most a control frame carries), written in large chunks. Stops quietly if the
     * gateway closes the socket before the last one.
     */
    static void floodPings(OutputStream out, int count) {
        try {
            byte[] frames = frame(0x9, "p".repeat(125).getBytes(StandardCharsets.US_ASCII), true);
            java.io.BufferedOutputStream buffered = new java.io.BufferedOutputStream(out, 64 * 1024);
            for (int i = 0; i < count; i++) {
                buffered.write(frames);
            }
            buffered.flush();
        } catch (IOException closedEarly) {
            // the gateway cut the socket before the last ping: the test reads what it got
        }
    }

    /**
     * Pings of 125 bytes, written in 64 KB chunks until a write fails (the gateway cut the socket) or {@code limit} bytes
     * went out; returns the bytes written. Blocks while the gateway reads nothing and the socket's buffers are full.
     */
    static long floodPingsUntilCut(OutputStream out, long limit) {
        java.io.ByteArrayOutputStream chunk = new java.io.ByteArrayOutputStream();
        long written = 0;
        try {
            byte[] one = frame(0x9, "p".repeat(125).getBytes(StandardCharsets.US_ASCII), true);
            while (chunk.size() < 64 * 1024) {
                chunk.write(one);
            }
            byte[] frames = chunk.toByteArray();
            while (written < limit) {
                out.write(frames);
                written += frames.length;
            }
        } catch (IOException cut) {
            // what the test is waiting for
        }
        return written;
    }

    /**
     * A text message of 512 KB in 16 KB fragments: each fragment is small, the message is far above the gateway's
     * message limit. The gateway may stop reading (close) before the last fragment.
     */
    static void sendMessageAboveTheLimit(OutputStream out) {
        byte[] chunk = "x".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);
        try {
            for (int i = 0; i < 32; i++) {
                sendFragment(out, chunk, i == 0, i == 31);
            }
        } catch (IOException closedEarly) {
            // the gateway closed before the last fragment: that is the point
        }
    }

    /** A close frame with {@code code}: the client's half of the closing handshake. */
    static void sendClose(OutputStream out, int code) throws IOException {
        send(out, 0x8, new byte[] {(byte) (code >> 8), (byte) code}, true);
    }

    private static void send(OutputStream out, int opcode, byte[] payload, boolean last) throws IOException {
        out.write(frame(opcode, payload, last));
        out.flush();
    }

    private static byte[] frame(int opcode, byte[] payload, boolean last) {
        byte[] frame = new byte[14 + payload.length];
        int n = 0;
        frame[n++] = (byte) ((last ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame[n++] = (byte) (0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame[n++] = (byte) (0x80 | 126);
            frame[n++] = (byte) (payload.length >> 8);
            frame[n++] = (byte) payload.length;
        } else {
            frame[n++] = (byte) (0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame[n++] = (byte) ((long) payload.length >> shift);
            }
        }
        System.arraycopy(MASK, 0, frame, n, 4);
        n += 4;
        for (int i = 0; i < payload.length; i++) {
            frame[n++] = (byte) (payload[i] ^ MASK[i % 4]);
        }
        return java.util.Arrays.copyOf(frame, n);
    }

    /** Reads text frames until one of the given type; throws if the connection closes first. */
    static JsonObject readUntil(DataInputStream in, String type) throws IOException {
        while (true) {
            Frame frame = Frame.read(in);
            if (frame.opcode() == 8) {
                throw new IOException("closed with " + frame.closeCode() + " while waiting for " + type);
            }
            if (frame.opcode() == 1) {
                JsonObject json = new JsonObject(frame.text());
                if (type.equals(json.getString("type"))) {
                    return json;
                }
            }
        }
    }

    /** Drains whatever was queued and returns the close code. */
    static int readUntilClose(DataInputStream in) throws IOException {
        while (true) {
            Frame frame = Frame.read(in);
            if (frame.opcode() == 8) {
                return frame.closeCode();
            }
        }
    }

    record Frame(int opcode, byte[] payload) {
        static Frame read(DataInputStream in) throws IOException {
            int first = in.readUnsignedByte();
            int second = in.readUnsignedByte();
            long length = second & 0x7F;
            if (length == 126) {
                length = in.readUnsignedShort();
            } else if (length == 127) {
                length = in.readLong();
            }
            byte[] payload = new byte[(int) length];
            in.readFully(payload);
            return new Frame(first & 0x0F, payload);
        }

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length < 2 ? 1005 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
    }
}
