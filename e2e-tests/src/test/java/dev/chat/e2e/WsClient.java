package dev.chat.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A chat client over the JDK's WebSocket: frames it receives are queued for bounded polls. */
final class WsClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final String user;
    private final BlockingQueue<ObjectNode> frames = new LinkedBlockingQueue<>();
    private final java.util.Deque<ObjectNode> stash = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocket socket;
    /** The gateway instance this client landed on ({@code welcome.node}): which one, behind a load balancer. */
    String node;

    private WsClient(String user, URI uri) {
        this.user = user;
        this.socket = HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer " + Tokens.forUser(user))
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(uri, new Listener())
                .orTimeout(15, TimeUnit.SECONDS)
                .join();
    }

    /** Connects to a gateway (or the load balancer) at {@code base}, e.g. http://127.0.0.1:8080, and reads the welcome. */
    static WsClient connect(String user, String base) {
        WsClient client = new WsClient(user, URI.create(base.replaceFirst("^http", "ws") + "/chat"));
        ObjectNode welcome = client.next("welcome");
        if (!user.equals(welcome.path("user").asText())) {
            throw new AssertionError("welcome for the wrong user: " + welcome);
        }
        client.node = welcome.path("node").asText();
        return client;
    }

    void send(String json) {
        socket.sendText(json, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    void send(ObjectNode frame) {
        send(frame.toString());
    }

    static ObjectNode frame(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    /** Joins and waits for {@code joined}; returns it. */
    ObjectNode join(String room) {
        send(frame("join").put("room", room).put("cid", "join-" + room));
        return next("joined");
    }

    ObjectNode next() {
        if (!stash.isEmpty()) {
            return stash.poll();
        }
        try {
            ObjectNode frame = frames.poll(15, TimeUnit.SECONDS);
            if (frame == null) {
                throw new AssertionError(user + ": no frame within 15 s");
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame of {@code type}, skipping others (presence events, acks, ...). */
    ObjectNode next(String type) {
        return next(f -> type.equals(f.path("type").asText()));
    }

    /** The next frame that matches; the others stay queued, in order, for later calls. */
    ObjectNode next(Predicate<ObjectNode> wanted) {
        for (java.util.Iterator<ObjectNode> it = stash.iterator(); it.hasNext();) {
            ObjectNode frame = it.next();
            if (wanted.test(frame)) {
                it.remove();
                return frame;
            }
        }
        while (true) {
            ObjectNode frame = take();
            if (wanted.test(frame)) {
                return frame;
            }
            stash.add(frame);
        }
    }

    private ObjectNode take() {
        try {
            ObjectNode frame = frames.poll(15, TimeUnit.SECONDS);
            if (frame == null) {
                throw new AssertionError(user + ": no matching frame within 15 s; unmatched: " + stash);
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Sends {@code text} to the room under {@code cid} and returns the answer to it: its ack, or an error. */
    ObjectNode answer(String room, String text, String cid) {
        send(frame("send").put("room", room).put("text", text).put("cid", cid));
        return next(f -> cid.equals(f.path("cid").asText()) && !"message".equals(f.path("type").asText()));
    }

    /**
     * On a new connection to {@code base}: joins the room, sends and returns the answer (ack or error); null if the join
     * was refused (as while Redis is being re-seeded).
     */
    static ObjectNode joinedAndAnswered(String user, String base, String room, String text, String cid) {
        try (WsClient client = connect(user, base)) {
            client.send(frame("join").put("room", room).put("cid", "j"));
            if (!"joined".equals(client.next(f -> "j".equals(f.path("cid").asText())).path("type").asText())) {
                return null;
            }
            return client.answer(room, text, cid);
        }
    }

    /** The next {@code count} messages of a room, in arrival order. */
    List<ObjectNode> messages(String room, int count) {
        List<ObjectNode> result = new ArrayList<>();
        while (result.size() < count) {
            result.add(next(f -> "message".equals(f.path("type").asText()) && room.equals(f.path("room").asText())));
        }
        return result;
    }

    /** The next {@code count} messages of a room, which must carry seq 1..count in that order, each as "from:text". */
    List<String> messagesFromTheStart(String room, int count) {
        List<String> order = new ArrayList<>();
        List<ObjectNode> messages = messages(room, count);
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).path("seq").asLong() != i + 1) {
                throw new AssertionError(user + " sees a gap or reordering at position " + (i + 1) + ": " + messages.get(i));
            }
            order.add(messages.get(i).path("from").asText() + ":" + messages.get(i).path("text").asText());
        }
        return order;
    }

    /** The next frame of any type (stashed ones first), or null if none arrives within {@code millis}. */
    ObjectNode pollAny(long millis) {
        if (!stash.isEmpty()) {
            return stash.poll();
        }
        try {
            return frames.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Whatever arrives within {@code millis}, or null; presence events and unsolicited presence lists (no {@code cid}),
     * which any join or a gateway's reconnect to Redis may cause, are passed over.
     */
    ObjectNode poll(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (true) {
            ObjectNode frame;
            if (!stash.isEmpty()) {
                frame = stash.poll();
            } else {
                try {
                    frame = frames.poll(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            String type = frame == null ? "" : frame.path("type").asText();
            if (frame == null || !(type.startsWith("presence.") || "presence".equals(type) && !frame.has("cid"))) {
                return frame;
            }
        }
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }

    /** Drops the connection without a close handshake, as a network failure or a killed client would. */
    void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add((ObjectNode) JSON.readTree(partial.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }
}
