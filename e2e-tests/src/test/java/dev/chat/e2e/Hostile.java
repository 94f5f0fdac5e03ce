package dev.chat.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that writes as fast as its socket takes frames and only counts what comes back: the attacker
 * of HostileClientsIT. Answers are not queued (a flood would make the test itself the memory hog).
 */
final class Hostile implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final String user;
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final CompletableFuture<Void> welcomed = new CompletableFuture<>();
    final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    final AtomicInteger answers = new AtomicInteger();
    final AtomicLong written = new AtomicLong();
    private final Map<String, CompletableFuture<JsonNode>> awaited = new ConcurrentHashMap<>();
    private final WebSocket socket;

    Hostile(String user, String base) {
        this.user = user;
        this.socket = HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer " + Tokens.forUser(user))
                .connectTimeout(Duration.ofSeconds(20))
                .buildAsync(URI.create(base.replaceFirst("^http", "ws") + "/chat"), new Listener())
                .orTimeout(30, TimeUnit.SECONDS)
                .join();
    }

    /** Writes frames for at most {@code millis}, as fast as the socket takes them; stops early once closed. */
    int flood(java.util.function.IntFunction<String> frame, int count, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        int sent = 0;
        try {
            while (sent < count && System.currentTimeMillis() < deadline && !closed.isDone()) {
                String text = frame.apply(sent);
                socket.sendText(text, true).get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                written.addAndGet(text.length());
                sent++;
            }
        } catch (Exception stoppedOrClosed) {
            // closed by the gateway, or it stopped reading (backpressure) until the deadline: both are the point
        }
        return sent;
    }

    /** Writes WebSocket pings (125 bytes, the most a control frame carries) the same way as {@link #flood}. */
    int floodPings(int count, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        java.nio.ByteBuffer payload = java.nio.ByteBuffer.wrap(new byte[125]);
        int sent = 0;
        try {
            while (sent < count && System.currentTimeMillis() < deadline && !closed.isDone()) {
                socket.sendPing(payload.rewind()).get(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
                written.addAndGet(125);
                sent++;
            }
        } catch (Exception stoppedOrClosed) {
            // closed by the gateway, or it stopped reading until the deadline: both are the point
        }
        return sent;
    }

    /** Sends a frame with this cid and waits for the answer (or error) that carries it. */
    JsonNode request(String json, String cid, Duration timeout) {
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        awaited.put(cid, answer);
        try {
            socket.sendText(json, true).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(user + ": no answer for " + cid + " within " + timeout, e);
        } finally {
            awaited.remove(cid);
        }
    }

    int errors(String code) {
        AtomicInteger n = errors.get(code);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                answers.incrementAndGet();
                if (text.contains("\"welcome\"")) {
                    welcomed.complete(null);
                }
                if (text.contains("\"error\"") || text.contains("\"cid\"")) {
                    JsonNode frame = HostileJson.parse(text);
                    if ("error".equals(frame.path("type").asText())) {
                        errors.computeIfAbsent(frame.path("code").asText(), c -> new AtomicInteger()).incrementAndGet();
                    }
                    CompletableFuture<JsonNode> waiting = awaited.get(frame.path("cid").asText());
                    if (waiting != null) {
                        waiting.complete(frame);
                    }
                }
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

    /** Shared JSON parsing for the listener. */
    static final class HostileJson {
        static JsonNode parse(String text) {
            try {
                return WsClient.JSON.readTree(text);
            } catch (Exception e) {
                throw new AssertionError("the gateway sent invalid JSON: " + text, e);
            }
        }
    }
}
