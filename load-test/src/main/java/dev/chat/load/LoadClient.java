package dev.chat.load;

import dev.chat.load.measure.DeliveryLedger;
import dev.chat.load.measure.MemberLog;
import dev.chat.load.wire.Frame;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.IOException;
import java.net.URI;

/**
 * One simulated user: one WebSocket, at most one room. Its handlers run on its connection's event loop;
 * {@link #send} may be called from the scheduler's loop (Vert.x hands the write to the connection's loop).
 */
final class LoadClient {

    private final int index;
    private final URI target;
    private final String room;
    private final RunState run;
    private final String token;
    private final Promise<Void> ready = Promise.promise();
    /** Set once connected: what {@link #send} and {@link #close} use from other threads. */
    private volatile WebSocket ws;
    /** The socket the handlers write to: connected before its first frame arrives. */
    private ClientWebSocket socket;
    private volatile MemberLog member;
    private volatile boolean closing;
    private long startNanos;

    LoadClient(int index, URI target, String room, String token, RunState run) {
        this.index = index;
        this.target = target;
        this.room = room;
        this.token = token;
        this.run = run;
    }

    /** Connects and joins; the future completes when the client has joined its room (or is connected, without one). */
    Future<Void> start(WebSocketClient client) {
        startNanos = System.nanoTime();
        boolean tls = "wss".equals(target.getScheme());
        int port = target.getPort() > 0 ? target.getPort() : tls ? 443 : 80;
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? run.wire.defaultPath() : target.getRawPath();
        String query = join(target.getRawQuery(), run.wire.upgradeQuery(token));
        if (path.contains("?")) {
            query = join(path.substring(path.indexOf('?') + 1), query);
            path = path.substring(0, path.indexOf('?'));
        }
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(target.getHost()).setPort(port).setSsl(tls)
                .setURI(query.isEmpty() ? path : path + "?" + query);
        // Handlers before the connect: Vert.x starts reading a socket it connected before it runs the connect's
        // callback, so handlers set there can miss the first frame (the server's welcome) and the client never joins.
        ClientWebSocket socket = client.webSocket();
        this.socket = socket;
        socket.textMessageHandler(this::onText);
        socket.exceptionHandler(e -> run.closes.add("exception:" + e.getClass().getSimpleName()));
        socket.closeHandler(v -> {
            if (!closing) {
                Short code = socket.closeStatusCode();
                run.closes.add("close:" + (code == null ? "none" : code));
                fail("closed_before_join");
            }
        });
        socket.connect(o).onComplete(ar -> {
            if (ar.failed()) {
                Throwable e = ar.cause();
                String why = e instanceof UpgradeRejectedException r ? "http_" + r.getStatus() : e.getClass().getSimpleName();
                fail("connect:" + why);
                return;
            }
            ws = socket;
            run.connected.incrementAndGet();
        });
        return ready.future();
    }

    private static String join(String a, String b) {
        if (a == null || a.isEmpty()) {
            return b == null ? "" : b;
        }
        return b == null || b.isEmpty() ? a : a + "&" + b;
    }

    private void fail(String reason) {
        if (ready.tryFail(reason)) {
            run.refusals.add(reason);
            run.failed.incrementAndGet();
        }
    }

    private void joinedNow() {
        if (ready.tryComplete()) {
            long now = System.nanoTime();
            run.joined.incrementAndGet();
            run.lastJoinNanos.accumulateAndGet(now, Math::max);
            run.connectJoin.recordMicros((now - startNanos) / 1000);
        }
    }

    private void onText(String text) {
        run.allFrames.increment();
        Frame f;
        try {
            f = run.wire.read(text, token);
        } catch (IOException | RuntimeException e) {
            run.otherFrames.add("unreadable");
            return;
        }
        switch (f.type()) {
            case "ready" -> {
                if (room == null) {
                    joinedNow();
                } else {
                    socket.writeTextMessage(run.wire.join(room, "j" + index));
                }
            }
            case "reply" -> socket.writeTextMessage(f.text());
            case "refused" -> {
                fail("connect:" + f.code());
                closing = true;
                socket.close();
            }
            case "joined" -> {
                if (room != null && room.equals(f.room()) && member == null) {
                    member = run.ledger.joined(room, System.nanoTime(), Math.max(0, f.seq()));
                    joinedNow();
                } else {
                    run.otherFrames.add("joined(unexpected)");
                }
            }
            case "ack" -> {
                DeliveryLedger.Pending p = run.ledger.acked(f.cid(), f.room(), f.origin(), f.seq(), f.ts());
                if (p != null && p.sentAtNanos() >= run.measureFromNanos) {
                    run.ackLatency.recordMicros((System.nanoTime() - p.sentAtNanos()) / 1000);
                }
            }
            case "message" -> onMessage(f);
            case "error" -> onError(f);
            default -> run.otherFrames.add(f.type());
        }
    }

    private void onMessage(Frame f) {
        long now = System.nanoTime();
        // Only a message frame for the room this client joined is a delivery; anything else is a violation.
        MemberLog m = room != null && room.equals(f.room()) ? member : null;
        boolean first = run.ledger.delivered(m, f.origin(), f.seq());
        long sentAt = RunState.sentAt(f.text(), run.runTag);
        if (sentAt < 0) {
            run.foreignMessages.increment();
            return;
        }
        if (first && sentAt >= run.measureFromNanos) {
            run.latency.recordMicros((now - sentAt) / 1000);
        }
    }

    private void onError(Frame f) {
        String cid = f.cid() == null ? "" : f.cid();
        String code = f.code() == null ? "unknown" : f.code();
        if (cid.startsWith("s")) {
            run.ledger.refused(cid);
            run.refusals.add("send:" + code);
        } else if (cid.startsWith("j")) {
            run.refusals.add("join:" + code);
            if (ready.tryFail("join:" + code)) {
                run.failed.incrementAndGet();
            }
        } else {
            run.refusals.add("other:" + code);
        }
    }

    /** Sends one timestamped message to this client's room. Returns false when the client cannot send. */
    boolean send() {
        WebSocket socket = ws;
        if (socket == null || member == null || socket.isClosed()) {
            run.refusals.add("send:not_connected");
            return false;
        }
        long seq = run.sends.incrementAndGet();
        String cid = "s" + seq;
        long now = System.nanoTime();
        run.ledger.sent(cid, room, now);
        socket.writeTextMessage(run.wire.send(room, run.text(now), cid));
        return true;
    }

    boolean isJoined() {
        return member != null || (room == null && ready.future().succeeded());
    }

    Future<Void> close() {
        closing = true;
        WebSocket socket = ws;
        return socket == null || socket.isClosed() ? Future.succeededFuture() : socket.close().recover(e -> Future.succeededFuture());
    }
}
