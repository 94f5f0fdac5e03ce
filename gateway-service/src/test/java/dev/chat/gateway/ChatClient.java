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
    private volatile Integer closeCode;
    private WebSocketClientConnection connection;

    /** Connects with the token in the Authorization header. */
    public static ChatClient connect(Vertx vertx, URI base, String token) {
        return open(base, "/chat", token);
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

    /** The next frame, waiting at most five seconds. */
    public JsonObject next() {
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

    /** The next frame of the given type, skipping others (e.g. presence events). */
    public JsonObject next(String type) {
        while (true) {
            JsonObject frame = next();
            if (type.equals(frame.getString("type"))) {
                return frame;
            }
        }
    }

    /** Asserts that no frame arrives within the given time; returns what did arrive otherwise. */
    public JsonObject pollNothing(long millis) {
        try {
            return frames.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
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
