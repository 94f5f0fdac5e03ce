package dev.chat.gateway;

import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.WebSocketClientConnection;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client for tests: every frame it receives lands in a queue that tests poll with a bound. */
public final class ChatClient implements AutoCloseable {

    private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    private final java.util.Deque<JsonObject> stash = new java.util.ArrayDeque<>();
    private volatile Integer closeCode;
    private WebSocketClientConnection connection;

    /** Connects with the token in the Authorization header. */
    public static ChatClient connect(Vertx vertx, URI base, String token) {
        return open(base, "/chat", token);
    }

    /** Connects as {@code user} (a test token) and waits for {@code welcome}. */
    public static ChatClient welcomed(Vertx vertx, URI base, String user) {
        ChatClient client = connect(vertx, base, Tokens.forUser(user));
        client.next("welcome");
        return client;
    }

    /** Joins {@code room} and waits for {@code joined}. */
    public void join(String room) {
        send(new JsonObject().put("type", "join").put("room", room));
        next("joined");
    }

    /** Connects with the token in the access_token query parameter, as browsers do. */
    public static ChatClient connectWithQueryToken(Vertx vertx, URI base, String token) {
        return open(base, "/chat?access_token=" + token, null);
    }

    private static ChatClient open(URI base, String path, String token) {
        ChatClient client = new ChatClient();
        // Handlers are registered before the connection opens, so not even the first frame can be missed.
        BasicWebSocketConnector connector = BasicWebSocketConnector.create()
                .baseUri(base)
                .path(path)
                .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                .onTextMessage((c, text) -> client.frames.add(new JsonObject(text)))
                .onClose((c, reason) -> client.closeCode = reason.getCode());
        if (token != null) {
            connector.addHeader("Authorization", "Bearer " + token);
        }
        client.connection = connector.connectAndAwait();
        return client;
    }

    /** Attempts an upgrade and returns the HTTP status it failed with, or 101 if it succeeded. */
    public static int upgradeStatus(Vertx vertx, URI base, String token) {
        WebSocketConnectOptions options = options(base, "/chat");
        if (token != null) {
            options.addHeader("Authorization", "Bearer " + token);
        }
        try {
            WebSocket socket = vertx.createWebSocketClient().connect(options).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            socket.close();
            return 101;
        } catch (Exception e) {
            Throwable cause = e.getCause();
            if (cause instanceof io.vertx.core.http.UpgradeRejectedException rejected) {
                return rejected.getStatus();
            }
            throw new AssertionError("upgrade failed unexpectedly", e);
        }
    }

    private static WebSocketConnectOptions options(URI base, String uri) {
        return new WebSocketConnectOptions().setHost(base.getHost()).setPort(base.getPort()).setURI(uri);
    }

    public void send(JsonObject frame) {
        connection.sendTextAndAwait(frame.encode());
    }

    public void sendRaw(String text) {
        connection.sendTextAndAwait(text);
    }

    public void sendBinary(byte[] data) {
        connection.sendBinaryAndAwait(io.vertx.core.buffer.Buffer.buffer(data));
    }

    /** The next frame (stashed ones first), waiting at most five seconds. */
    public JsonObject next() {
        if (!stash.isEmpty()) {
            return stash.poll();
        }
        try {
            JsonObject frame = frames.poll(5, TimeUnit.SECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within 5 s");
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * The next frame of the given type. Frames of other types stay queued, in order, for later
     * calls: an ack and the echo of one's own message may arrive in either order.
     */
    public JsonObject next(String type) {
        return next(frame -> type.equals(frame.getString("type")));
    }

    /** The next frame that matches; the others stay queued, in order. */
    public JsonObject next(java.util.function.Predicate<JsonObject> wanted) {
        return next(wanted, java.time.Duration.ofSeconds(5));
    }

    /** The next frame that matches, waiting at most {@code wait} for each frame; the others stay queued, in order. */
    public JsonObject next(java.util.function.Predicate<JsonObject> wanted, java.time.Duration wait) {
        for (java.util.Iterator<JsonObject> it = stash.iterator(); it.hasNext();) {
            JsonObject frame = it.next();
            if (wanted.test(frame)) {
                it.remove();
                return frame;
            }
        }
        while (true) {
            JsonObject frame = poll(wait.toMillis());
            if (frame == null) {
                throw new AssertionError("no matching frame within " + wait.toSeconds() + " s; other frames: " + stash);
            }
            if (wanted.test(frame)) {
                return frame;
            }
            stash.add(frame);
        }
    }

    private JsonObject poll(long millis) {
        try {
            return frames.poll(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Whatever frame arrives within the given time, or null; presence events, which any join may
     * cause, are passed over.
     */
    public JsonObject pollNothing(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            JsonObject frame = !stash.isEmpty() ? stash.poll() : poll(Math.max(0, deadline - System.currentTimeMillis()));
            if (frame == null || !frame.getString("type", "").startsWith("presence.")) {
                return frame;
            }
        }
    }

    /** The next frame of any type (stashed ones first), or null if none arrives within the given time. */
    public JsonObject pollAny(long millis) {
        return !stash.isEmpty() ? stash.poll() : poll(millis);
    }

    public Integer closeCode() {
        return closeCode;
    }

    public boolean isClosed() {
        return connection.isClosed();
    }

    @Override
    public void close() {
        if (!connection.isClosed()) {
            connection.closeAndAwait();
        }
    }
}
