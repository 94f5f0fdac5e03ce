package dev.chat.gateway.connection;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.room.DirectHandover;
import dev.chat.gateway.room.Member;
import dev.chat.gateway.room.Recipient;
import dev.chat.gateway.room.RoomMessage;
import io.quarkus.logging.Log;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * One client connection: who it is, which rooms it joined, its rate budgets and its bounded inbound and
 * outbound queues. Kept small (tens of thousands are idle at once): maps and budgets exist only once used.
 */
public final class ChatSession implements Recipient {

    /** Close code for a client too slow to keep up (PROTOCOL.md). */
    static final int TRY_AGAIN_LATER = 1013;
    /** Close code after {@code reconnect}: this gateway is going away. */
    static final int SERVICE_RESTART = 1012;
    static final int POLICY_VIOLATION = 1008;
    static final int INTERNAL_ERROR = 1011;
    /** The largest frame written as one WebSocket frame: 64 KiB, the default limit of common clients (Netty, Vert.x). */
    static final int DIRECT_FRAME_LIMIT = 65536;
    /** How long a connection closed for abuse keeps its socket for the close frame to reach the client. */
    static final long ABUSE_CLOSE_GRACE_MILLIS = 1000;
    /** Handovers kept per connection (see {@link #handOver}). */
    static final int MAX_HANDOVERS = 16;
    private static final long HANDOVER_IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** What a keep-alive ping carries: the client echoes it in its pong. */
    private static final byte[] PING_PAYLOAD = "chat".getBytes(StandardCharsets.US_ASCII);

    private static final AtomicIntegerFieldUpdater<ChatSession> UNFLUSHED = AtomicIntegerFieldUpdater.newUpdater(ChatSession.class, "unflushed");
    private static final AtomicLongFieldUpdater<ChatSession> UNFLUSHED_BYTES = AtomicLongFieldUpdater.newUpdater(ChatSession.class, "unflushedBytes");
    private static final AtomicIntegerFieldUpdater<ChatSession> IN_FLIGHT = AtomicIntegerFieldUpdater.newUpdater(ChatSession.class, "inFlight");
    private static final AtomicIntegerFieldUpdater<ChatSession> STRIKES = AtomicIntegerFieldUpdater.newUpdater(ChatSession.class, "strikes");
    private static final AtomicIntegerFieldUpdater<ChatSession> CUT_WATCHED = AtomicIntegerFieldUpdater.newUpdater(ChatSession.class, "cutWatched");
    private static final AtomicIntegerFieldUpdater<ChatSession> CLOSED_FOR_ABUSE = AtomicIntegerFieldUpdater.newUpdater(ChatSession.class, "closedForAbuse");

    private final WebSocketConnection connection;
    private final String user;
    private final Outbound outbound;
    private final GatewayMetrics metrics;
    private final InboundFrames inbound;
    /** The socket's pipeline end, where Vert.x writes its WebSocket frames too; null if unknown. */
    private final ChannelHandlerContext channel;
    /**
     * The promise of writes whose outcome nobody waits for. Unlike the pipeline's void promise it does not report a
     * failed write as an error: frames still queued when a socket closes fail one by one, and the close itself is handled.
     */
    private final ChannelPromise unheeded;
    /**
     * The rooms joined: an immutable map, replaced under the session's lock on each join or leave (copies bounded by the
     * rooms-per-connection limit) and read without one. A map of one room costs 24 bytes of heap, a concurrent one about 140.
     */
    private volatile Map<String, Member> rooms = Map.of();
    private TokenBucket[] budgets;
    private volatile int unflushed;
    /** Without the socket: bytes written through websockets-next and not yet flushed. With it: bytes handed to the socket's loop, not yet in its buffer. */
    private volatile long unflushedBytes;
    private volatile int inFlight;
    private volatile int strikes;
    private volatile int cutWatched;
    private volatile boolean closing;
    /** The connection closed and left its rooms: of the frames still queued, only sends and read positions are handled. */
    private volatile boolean left;
    private volatile boolean draining;
    private volatile int closedForAbuse;
    private volatile long strikeWindowStart = System.currentTimeMillis();
    private volatile long lastHeard = System.currentTimeMillis();
    private volatile long expiresAt = Long.MAX_VALUE;

    private final io.netty.channel.EventLoop eventLoop;
    /** Whether the welcome is out (set under this lock, read without it by every write). */
    private volatile boolean opened;
    /** Guarded by this: the cleanup of a close that came before the welcome. */
    private Runnable closedWhileOpening;
    /** Guarded by this: frames for the client that came before its welcome (a direct message), written right after it. */
    private List<Runnable> beforeWelcome;
    /**
     * Direct-message rooms this connection left whose messages the user's channel still hands over (see
     * {@link DirectHandover}); confined to the event loop, null until one.
     */
    private Map<String, DirectHandover> handovers;
    // Confined to the event loop: see holdFlushes.
    private boolean flushesHeld;
    private boolean writesHeld;

    ChatSession(WebSocketConnection connection, String user, Outbound outbound, GatewayMetrics metrics, ConnectionBase socket,
            io.netty.channel.EventLoop eventLoop) {
        this.eventLoop = eventLoop;
        this.metrics = metrics;
        this.connection = connection;
        this.user = user;
        this.outbound = outbound;
        this.inbound = new InboundFrames(socket);
        this.channel = socket == null ? null : socket.channelHandlerContext();
        this.unheeded = channel == null ? null : new VoidChannelPromise(channel.channel(), false);
        if (socket != null && socket.channel().pipeline().get(IdleStateHandler.class) != null) {
            // Vert.x's HTTP idle timer stays on an upgraded socket and puts a listener on every write; the gateway's
            // own check of silent connections (ChatSessions.reapSilent, pings answered or not) replaces it.
            socket.channel().pipeline().remove(IdleStateHandler.class);
        }
    }

    @Override
    public String user() {
        return user;
    }

    public String id() {
        return connection.id();
    }

    @Override
    public boolean hasJoined(String room) {
        return rooms.containsKey(room);
    }

    /** The rooms joined, as they were when asked (joins and leaves that follow do not change it). */
    Map<String, Member> rooms() {
        return rooms;
    }

    synchronized Member putRoom(String room, Member member) {
        return replaceRoom(room, member);
    }

    synchronized Member removeRoom(String room) {
        return rooms.containsKey(room) ? replaceRoom(room, null) : null;
    }

    /** Replaces the map with one where {@code room} is {@code member}, or gone if null; returns what it was. */
    private Member replaceRoom(String room, Member member) {
        Map<String, Member> joined = new HashMap<>(rooms);
        Member previous = member == null ? joined.remove(room) : joined.put(room, member);
        rooms = Map.copyOf(joined);
        return previous;
    }

    /**
     * The connection closed: every membership is removed and returned, and of the frames still queued (behind one
     * waiting for Redis) only sends and read positions are handled (FrameHandler): a join among them would make a
     * member nobody removes any more.
     */
    synchronized List<Member> leaveAllRooms() {
        left = true;
        List<Member> members = List.copyOf(rooms.values());
        rooms = Map.of();
        return members;
    }

    /**
     * The connection left a room ({@code member}'s membership ended): of a direct-message room, until the user's channel has
     * caught up with what the membership wrote, it writes through the handover. Other rooms need nothing.
     */
    void handOver(Member member) {
        if (!RoomNames.isDirect(member.room())) {
            return;
        }
        runOnLoop(() -> {
            if (rooms.containsKey(member.room())) {
                return;
            }
            DirectHandover handover = member.handOver();
            if (handover == null) {
                return;
            }
            if (handovers == null) {
                handovers = new LinkedHashMap<>(4);
            }
            forgetIdleHandovers();
            DirectHandover previous = handovers.put(member.room(), handover);
            if (previous != null) {
                previous.cancel();
            }
        });
    }

    /**
     * The connection joins a room ({@code member}, replacing {@code previous} if not null). Of a direct-message room: until
     * the new membership writes its {@code joined}, the client has what the previous one or the handover from the last one
     * gave it, and a handover writes nothing more.
     */
    void joining(Member member, Member previous) {
        if (!RoomNames.isDirect(member.room())) {
            return;
        }
        runOnLoop(() -> {
            DirectHandover handover = handovers == null ? null : handovers.remove(member.room());
            if (previous != null) {
                member.takeOver(previous);
            } else if (handover != null) {
                handover.cancelFor(member);
                return;
            }
            if (handover != null) {
                handover.cancel();
            }
        });
    }

    @Override
    public void sendDirectRestart(String room, long seq, String epoch, String frame) {
        runOnLoop(() -> {
            Member member = rooms.get(room);
            if (member != null) {
                // Its joined (or a handover if the join fails) tells the client where the room restarted.
                member.channelRestarted(seq, epoch);
                return;
            }
            DirectHandover handover = handovers == null ? null : handovers.remove(room);
            if (handover != null) {
                handover.cancel();
            }
            send(frame);
        });
    }

    /**
     * Bounds the handovers a connection keeps: one whose channel has not caught up within a minute has no message in
     * flight any more, and past {@link #MAX_HANDOVERS} the oldest goes (the cost is a duplicate at worst, never a loss:
     * only a handover still reading writes, and that one stays).
     */
    private void forgetIdleHandovers() {
        for (Iterator<DirectHandover> it = handovers.values().iterator(); it.hasNext();) {
            DirectHandover handover = it.next();
            if (handover.idleFor(HANDOVER_IDLE_NANOS) || handovers.size() >= MAX_HANDOVERS && handover.idleFor(0)) {
                it.remove();
            }
        }
    }

    @Override
    public void sendDirect(RoomMessage message) {
        runOnLoop(() -> {
            Member member = rooms.get(message.room());
            if (member != null) {
                member.passedOver(message.seq());
                return;
            }
            DirectHandover handover = handovers == null ? null : handovers.get(message.room());
            if (handover != null) {
                if (handover.offer(message)) {
                    return;
                }
                handovers.remove(message.room());
            }
            send(message);
        });
    }

    /** Whether the connection closed and left its rooms ({@link #leaveAllRooms}). */
    boolean hasLeft() {
        return left;
    }

    /** Removes the membership only if it is still this one (a newer join of the same room stays). */
    synchronized void removeRoom(String room, Member member) {
        if (rooms.get(room) == member) {
            removeRoom(room);
        }
    }

    int roomCount() {
        return rooms.size();
    }

    InboundFrames inbound() {
        return inbound;
    }

    /**
     * The cleanup of a closed connection: now if the session is open, else once its opening ended, on its event loop, so
     * that what undoes the opening's writes (its user's channel, online entry) reaches Redis after them.
     */
    void afterOpening(Runnable cleanup) {
        synchronized (this) {
            if (!opened) {
                closedWhileOpening = cleanup;
                return;
            }
        }
        cleanup.run();
    }

    /**
     * Writes the welcome, then the frames that came for the client before it, in their order: PROTOCOL.md makes the
     * welcome the first frame. False if the connection closed meanwhile: its cleanup then runs, and nothing is written.
     */
    boolean opened(String welcome) {
        Runnable cleanup;
        synchronized (this) {
            cleanup = closedWhileOpening;
            closedWhileOpening = null;
            if (cleanup == null) {
                sendNow(welcome, null);
                if (beforeWelcome != null) {
                    beforeWelcome.forEach(Runnable::run);
                }
            }
            beforeWelcome = null;
            // Last: a write that sees it goes straight out, after everything above.
            opened = true;
        }
        if (cleanup == null) {
            return true;
        }
        if (eventLoop == null || eventLoop.inEventLoop()) {
            cleanup.run();
        } else {
            eventLoop.execute(cleanup);
        }
        return false;
    }

    /** Takes one token of this frame type's budget; budgets are created on first use. */
    synchronized boolean tryTake(FrameRate kind, double perSecond, int burst) {
        if (budgets == null) {
            budgets = new TokenBucket[FrameRate.values().length];
        }
        TokenBucket bucket = budgets[kind.ordinal()];
        if (bucket == null) {
            bucket = new TokenBucket(perSecond, burst);
            budgets[kind.ordinal()] = bucket;
        }
        return bucket.tryTake();
    }

    void expiresAt(long epochMillis) {
        expiresAt = epochMillis;
    }

    long expiresAt() {
        return expiresAt;
    }

    /** Counts a refusal; true once the refusals within one minute reach the threshold. */
    boolean strike(int threshold) {
        long now = System.currentTimeMillis();
        if (now - strikeWindowStart > 60_000) {
            strikeWindowStart = now;
            STRIKES.set(this, 0);
        }
        return STRIKES.incrementAndGet(this) >= threshold;
    }

    /**
     * Closes with 1008 and reads nothing more: a client that goes on flooding makes the gateway no more work. Its close reply
     * is then never seen, so rather than Vert.x's closing timeout the socket gets {@link #ABUSE_CLOSE_GRACE_MILLIS} for the
     * close frame to reach the client, then is cut.
     */
    void closeForAbuse() {
        if (!CLOSED_FOR_ABUSE.compareAndSet(this, 0, 1)) {
            return; // frames decoded in the same read as the one that tipped it over still count their refusals
        }
        close(POLICY_VIOLATION, "too many refused frames");
        inbound.stopReading();
        if (channel != null) {
            Channel socket = channel.channel();
            socket.eventLoop().schedule(() -> {
                if (socket.isActive()) {
                    metrics.closeCut();
                    Log.infof("Cutting connection %s of %s, closed for abuse %d ms ago", connection.id(), user, ABUSE_CLOSE_GRACE_MILLIS);
                    cut(socket);
                }
            }, ABUSE_CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * A WebSocket ping ({@link KeepAlive}), on the session's loop; the pong that answers it counts as hearing from the
     * client. Its payload is a wrapped heap buffer like every text frame's: a second buffer class on the socket's write
     * path would make the JIT give up the code it compiled for the first.
     */
    void ping() {
        if (closing || connection.isClosed()) {
            return;
        }
        if (channel == null) {
            connection.sendPing(Buffer.buffer(PING_PAYLOAD)).subscribe().with(v -> {
            }, e -> {
            });
            return;
        }
        channel.writeAndFlush(new PingWebSocketFrame(Unpooled.wrappedBuffer(PING_PAYLOAD)), unheeded);
    }

    /**
     * Answers a WebSocket ping from the client with its payload, through the outbound bound like every frame: a client
     * that pings and never reads is closed with 1013 instead of parking pongs without limit. The pong's payload is
     * copied to the heap for the reason {@link #ping()} gives. Only for a session that knows its socket ({@link ControlFrames}).
     */
    void answerPing(ByteBuf payload) {
        if (!admit(payload.readableBytes() + 2, false)) {
            return;
        }
        metrics.frameFlushed();
        channel.writeAndFlush(new PongWebSocketFrame(Unpooled.wrappedBuffer(ByteBufUtil.getBytes(payload))), unheeded);
    }

    /** Something arrived from the client (a frame, a ping or a pong): it is alive. */
    void heard() {
        lastHeard = System.currentTimeMillis();
    }

    long lastHeard() {
        return lastHeard;
    }

    /**
     * Every close the gateway starts: no frame is written after it (see {@link #admit}), then the close frame, then the
     * watch that cuts a client which never reads it.
     */
    void close(int code, String reason) {
        closing = true;
        if (!connection.isClosed()) {
            connection.close(new CloseReason(code, reason)).subscribe().with(v -> {
            }, e -> {
            });
            cutOnceStalled();
        }
    }

    /** Counts a client frame being handled; draining waits for it so its answer is not lost. */
    void frameStarted() {
        IN_FLIGHT.incrementAndGet(this);
    }

    /** The socket's pipeline; null where the session does not know its socket (tests and diagnostics). */
    io.netty.channel.ChannelPipeline pipeline() {
        return channel == null ? null : channel.pipeline();
    }

    /** Client frames arrived and not yet finished, queued ones included (tests and diagnostics). */
    public int framesInFlight() {
        return inFlight;
    }

    void frameFinished() {
        if (IN_FLIGHT.decrementAndGet(this) == 0 && draining) {
            closeForRestart();
        }
    }

    boolean isDraining() {
        return draining;
    }

    /**
     * Tells the client to reconnect elsewhere and closes with 1012 once no frame of it is in flight; {@code first} runs on
     * the socket's loop right before the {@code reconnect} is written.
     */
    void drain(String reconnectFrame, Runnable first) {
        if (eventLoop != null && !eventLoop.inEventLoop()) {
            // From the shutdown thread the frame would only be queued to the socket's loop, and a frame finishing on
            // that loop meanwhile would see `draining` and write the close first: the client would never read it.
            eventLoop.execute(() -> drain(reconnectFrame, first));
            return;
        }
        first.run();
        send(reconnectFrame);
        draining = true;
        if (inFlight == 0) {
            closeForRestart();
        }
    }

    void forceClose() {
        closeForRestart();
    }

    private void closeForRestart() {
        close(SERVICE_RESTART, "gateway restarting");
    }

    /**
     * A close frame is queued behind everything already written to the socket, and Vert.x closes the socket only once
     * that frame reached the kernel. A client that stopped reading never lets it through: its connection, and up to the
     * outbound bound of unread bytes, would stay for as long as it keeps the socket open. So after a close the socket's
     * unread bytes are watched, and once they have not fallen for {@code closeStallMillis} the socket is cut. A client
     * still reading, however slowly, gets everything and the close code.
     */
    private void cutOnceStalled() {
        if (channel == null || !CUT_WATCHED.compareAndSet(this, 0, 1)) {
            return;
        }
        Channel socket = channel.channel();
        socket.eventLoop().execute(() -> watchDrain(socket, unread(socket)));
    }

    /** On the socket's loop: cuts the socket unless it drained since {@code before} (or its close frame already left). */
    private void watchDrain(Channel socket, long before) {
        socket.eventLoop().schedule(() -> {
            long now = unread(socket);
            if (!socket.isActive() || now == 0) {
                return; // closed, or the close frame reached the kernel: Vert.x's own closing timeout takes over
            }
            if (now < before) {
                watchDrain(socket, now);
                return;
            }
            metrics.closeCut();
            Log.infof("Cutting connection %s of %s: %d bytes still unread %d ms after it was closed", connection.id(), user, now,
                    outbound.closeStallMillis());
            cut(socket);
        }, outbound.closeStallMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Closes the socket itself, from the pipeline's head: a close through the WebSocket handlers would queue one more close
     * frame behind what is queued and wait for it again.
     */
    private static void cut(Channel socket) {
        ChannelHandlerContext first = socket.pipeline().firstContext();
        (first != null ? first : socket).close();
    }

    private static long unread(Channel socket) {
        ChannelOutboundBuffer buffer = socket.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    @Override
    public io.netty.channel.EventLoop eventLoop() {
        return eventLoop;
    }

    @Override
    public void send(String frame) {
        send(frame, null);
    }

    @Override
    public void send(String frame, Runnable written) {
        if (!opened && heldForWelcome(() -> sendNow(frame, written))) {
            return;
        }
        sendNow(frame, written);
    }

    /**
     * Keeps a write that came before the welcome (a direct message routed here while the opening still waited for
     * presence) for {@link #opened}; false once the welcome is out. Bounded like the outbound queue: past
     * {@code max-frames} the connection is closed with 1013, and the client reconnects and reads them from history.
     */
    private boolean heldForWelcome(Runnable write) {
        synchronized (this) {
            if (opened) {
                return false;
            }
            if (beforeWelcome == null) {
                beforeWelcome = new ArrayList<>(4);
            }
            if (beforeWelcome.size() < outbound.maxFrames()) {
                beforeWelcome.add(write);
            } else if (!closing) {
                metrics.slowConsumerClosed();
                close(TRY_AGAIN_LATER, "too many frames before the welcome");
            }
            return true;
        }
    }

    private void sendNow(String frame, Runnable written) {
        if (channel != null) {
            // Acks, joins, replies: straight to the pipeline like room messages (a big one in fragments); through
            // websockets-next they cost a Uni, a promise and a context capture each (2 % of the gateway's CPU at 2,000 sends/s).
            write(frame.getBytes(StandardCharsets.UTF_8), written, false);
            return;
        }
        // Bytes as UTF-16 length: exact for the ASCII JSON we write, a lower bound otherwise.
        int bytes = frame.length();
        if (!admit(bytes, false)) {
            return;
        }
        // Counted down only where admit counted it up: without a socket to read (see admit).
        Runnable done = channel == null ? () -> flushed(bytes) : () -> {
        };
        // Vert.x splits a big frame (a long presence list) into frames the client accepts.
        metrics.frameFlushed();
        connection.sendText(frame).subscribe().with(v -> {
            done.run();
            if (written != null) {
                written.run();
            }
        }, e -> done.run());
    }

    /**
     * A room's message: its bytes, encoded once per gateway, go straight to the socket's pipeline as a
     * WebSocket text frame, the frame Vert.x would build, without encoding the text again or wrapping the
     * write in a Uni per recipient (the fan-out's cost per delivery). No promise per write: the outbound
     * bound reads the socket's own buffer (see {@link #admit}). Then {@code written} (may be null) once on the wire: how
     * a replay keeps the client's pace.
     */
    @Override
    public void send(RoomMessage message, Runnable written) {
        if (!opened && heldForWelcome(() -> sendNow(message, written))) {
            return;
        }
        sendNow(message, written);
    }

    private void sendNow(RoomMessage message, Runnable written) {
        if (channel == null) {
            // Not send(): a held frame is written from opened(), before the welcome counts as out.
            sendNow(message.frame(), written);
            return;
        }
        write(message.utf8(), written, true);
    }

    /** One text frame's bytes to the socket's pipeline, as Vert.x would frame them; {@code written} (may be null) once on the wire. */
    private void write(byte[] utf8, Runnable written, boolean shared) {
        if (!admit(utf8.length, shared)) {
            return;
        }
        if (utf8.length <= DIRECT_FRAME_LIMIT) {
            writeLast(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8)), written, shared);
        } else if (channel.executor().inEventLoop()) {
            writeFragments(utf8, written, shared);
        } else {
            // Written from the socket's loop in one go, so no other frame can come between the fragments; counted as
            // waiting meanwhile, as Netty counts a write handed to the loop.
            UNFLUSHED_BYTES.addAndGet(this, utf8.length);
            channel.executor().execute(() -> {
                UNFLUSHED_BYTES.addAndGet(this, -utf8.length);
                writeFragments(utf8, written, shared);
            });
        }
    }

    /**
     * A frame above 64 KiB (a big room's presence list) goes in fragments of 64 KiB, as Vert.x splits one: Netty and
     * Vert.x clients refuse a larger frame with 1009 by default. On the socket's loop.
     */
    private void writeFragments(byte[] utf8, Runnable written, boolean shared) {
        channel.write(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8, 0, DIRECT_FRAME_LIMIT)), unheeded);
        int at = DIRECT_FRAME_LIMIT;
        for (; utf8.length - at > DIRECT_FRAME_LIMIT; at += DIRECT_FRAME_LIMIT) {
            channel.write(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(utf8, at, DIRECT_FRAME_LIMIT)), unheeded);
        }
        writeLast(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(utf8, at, utf8.length - at)), written, shared);
    }

    /**
     * Writes a message's (last) frame, flushing unless flushes are held; {@code written} (may be null) once on the wire.
     * A room's frame goes without a promise of its own (the fan-out's cost per delivery): its write fails only as the
     * socket closes. A frame of this connection's own (welcome, joined, ack, an answer) is watched: should its write fail
     * on a socket still open, the client would wait for it forever, so the connection is closed and the client
     * reconnects and recovers.
     */
    private void writeLast(WebSocketFrame wire, Runnable written, boolean shared) {
        boolean hold = flushesHeld && eventLoop.inEventLoop(); // held only ever on that loop, so eventLoop is set
        writesHeld |= hold;
        if (!hold) {
            metrics.frameFlushed();
        }
        if (written == null && shared) {
            if (hold) {
                channel.write(wire, unheeded);
            } else {
                channel.writeAndFlush(wire, unheeded);
            }
        } else {
            (hold ? channel.write(wire) : channel.writeAndFlush(wire)).addListener(f -> {
                if (f.isSuccess()) {
                    if (written != null) {
                        written.run();
                    }
                } else if (channel.channel().isActive() && !closing && !connection.isClosed()) {
                    Log.warnf(f.cause(), "A frame to connection %s of %s could not be written; closing it so the client recovers",
                            connection.id(), user);
                    close(INTERNAL_ERROR, "internal error");
                }
            });
        }
    }

    @Override
    public void holdFlushes() {
        flushesHeld = channel != null && eventLoop != null && eventLoop.inEventLoop();
    }

    @Override
    public void flush() {
        if (flushesHeld) {
            flushesHeld = false;
            if (writesHeld) {
                writesHeld = false;
                metrics.frameFlushed();
                channel.flush();
            }
        }
    }

    /**
     * Counts a frame into the outbound bounds; closes a client that does not read fast enough. With the
     * socket known (always, over HTTP/1.1), what waits for the client is what Netty's buffer of that socket
     * holds: every frame written but not yet taken by the kernel, however it was written, and nothing needs
     * counting down per write. Without it, the session counts frames until websockets-next reports them written.
     * {@code shared}: a room's frame, whose bytes all the room's members share.
     */
    private boolean admit(int bytes, boolean shared) {
        if (closing) {
            return false;
        }
        long frames;
        long pending;
        if (channel != null) {
            ChannelOutboundBuffer buffer = channel.channel().unsafe().outboundBuffer();
            if (buffer == null) {
                return false; // the socket is closed
            }
            long waiting = buffer.totalPendingWriteBytes();
            // No data frame may follow a close frame. The gateway's own closes set `closing` (so do failures, through the
            // endpoint's @OnError). The close frame answering a client's close leaves at once when nothing waits to be
            // written, and Vert.x closes the socket in the same turn (the buffer is gone then); behind waiting bytes it
            // may still be queued, so only then is Vert.x asked, under its connection's lock: taking that lock for every
            // delivery was half of this check's cost in S5 (BENCHMARKS.md).
            if (waiting > 0 && connection.isClosed()) {
                return false;
            }
            // Also read off the socket's loop (frames other than room messages): an estimate, which is all a bound needs.
            // size() counts buffers, one or two per frame.
            frames = buffer.size() + 1L;
            pending = waiting + unflushedBytes + bytes;
        } else {
            if (connection.isClosed()) {
                return false;
            }
            frames = UNFLUSHED.incrementAndGet(this);
            pending = UNFLUSHED_BYTES.addAndGet(this, bytes);
        }
        // A room's frame larger than the bound by itself (the full presence list of a very large room), up to four times it,
        // goes unless half the bound already waits before it: else it would close every member, readers too. Its bytes
        // are one copy for all the room's members, and a client that reads nothing meets the bound at its next frame.
        // A frame of this connection's own (a presence answer) is a copy of its own: the bound stands.
        boolean oversizedShared = shared && bytes > outbound.maxBytes() && bytes <= 4L * outbound.maxBytes();
        boolean tooSlow = oversizedShared ? pending - bytes > outbound.maxBytes() / 2 : pending > outbound.maxBytes();
        if (frames > outbound.maxFrames() || tooSlow) {
            // The client does not read fast enough: drop it rather than buffer without bound or slow the room.
            closing = true;
            metrics.slowConsumerClosed();
            Log.infof("Closing connection %s of %s: %d frames, %d bytes not flushed", connection.id(), user, frames, pending);
            close(TRY_AGAIN_LATER, "too slow");
            return false;
        }
        metrics.frameOut();
        return true;
    }

    private void flushed(int bytes) {
        UNFLUSHED.decrementAndGet(this);
        UNFLUSHED_BYTES.addAndGet(this, -bytes);
    }

    /** The outbound bounds, shared by all connections; {@code closeStallMillis}: see {@link #cutOnceStalled()}. */
    record Outbound(int maxFrames, long maxBytes, long closeStallMillis) {
    }
}
