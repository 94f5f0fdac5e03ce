package dev.chat.load.wire;

/**
 * Engine.IO v4 / Socket.IO v5 text packet codec (what Socket.IO 4.x speaks over a plain WebSocket):
 * an Engine.IO type digit (0 open, 1 close, 2 ping, 3 pong, 4 message), and inside a message a
 * Socket.IO type digit (0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR), an optional
 * namespace ({@code /name,}), an optional ack id (digits) and a JSON payload.
 */
public final class EngineIo {

    public static final char OPEN = '0';
    public static final char CLOSE = '1';
    public static final char PING = '2';
    public static final char PONG = '3';
    public static final char MESSAGE = '4';
    public static final char NOOP = '6';

    public static final char CONNECT = '0';
    public static final char DISCONNECT = '1';
    public static final char EVENT = '2';
    public static final char ACK = '3';
    public static final char CONNECT_ERROR = '4';

    /** Path of the WebSocket transport, Engine.IO protocol 4. */
    public static final String PATH = "/socket.io/?EIO=4&transport=websocket";

    /** A decoded text packet; {@code socketType} is 0 unless {@code engineType} is MESSAGE. */
    public record Packet(char engineType, char socketType, String namespace, long ackId, String payload) {
    }

    private EngineIo() {
    }

    public static Packet decode(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty Engine.IO packet");
        }
        char engine = text.charAt(0);
        if (engine < '0' || engine > '6') {
            throw new IllegalArgumentException("unknown Engine.IO packet type " + engine);
        }
        if (engine != MESSAGE) {
            return new Packet(engine, (char) 0, "/", -1, text.substring(1));
        }
        if (text.length() < 2) {
            throw new IllegalArgumentException("Socket.IO packet without a type");
        }
        char socket = text.charAt(1);
        if (socket < '0' || socket > '6') {
            throw new IllegalArgumentException("unknown Socket.IO packet type " + socket);
        }
        if (socket == '5' || socket == '6') {
            throw new IllegalArgumentException("binary Socket.IO packets are not supported");
        }
        int i = 2;
        String namespace = "/";
        if (i < text.length() && text.charAt(i) == '/') {
            int comma = text.indexOf(',', i);
            int end = comma < 0 ? text.length() : comma;
            namespace = text.substring(i, end);
            i = comma < 0 ? end : comma + 1;
        }
        long ackId = -1;
        int digits = i;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        if (digits > i) {
            ackId = Long.parseLong(text.substring(i, digits));
            i = digits;
        }
        return new Packet(engine, socket, namespace, ackId, text.substring(i));
    }

    /** CONNECT to the main namespace with an auth payload (a JSON object, or null for none). */
    public static String connect(String authJson) {
        return authJson == null ? "40" : "40" + authJson;
    }

    /** An EVENT on the main namespace: {@code 42["name",payload]}; payload is raw JSON. */
    public static String event(String name, String payloadJson) {
        return "42[\"" + name + "\"," + payloadJson + "]";
    }

    public static String pong(String probe) {
        return PONG + probe;
    }
}
