package dev.chat.gateway.room;

import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.publish.RoomPosition;
import dev.chat.gateway.publish.RoomPositions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Room membership on this gateway. A room's channel is subscribed when its first local member
 * joins and unsubscribed when its last one leaves. The subscriber only routes by channel; each room
 * parses and orders its messages on its own event loop and hands the same encoded frame to every
 * local member, and this class carries out the Redis reads its {@link RoomSequencer} asks for.
 */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class RoomRegistry {

    /** Live messages a room holds at most while it starts, fills or resets (the oldest is re-read from the log). */
    private static final int HOLD_LIMIT = 10_000;
    /** Most messages one gap fill reads; a longer gap takes several. */
    private static final int FILL_LIMIT = 500;
    /** Rooms per pipelined batch of head reads; batches run one after the other. */
    private static final int FILL_ATTEMPTS = 5;

    private final ConcurrentHashMap<String, LocalRoom> rooms = new ConcurrentHashMap<>();
    private final EventLoop[] loops;
    /** Confined to the subscriber's loop: what one turn of it read, handed to each home loop at once. */
    private final TurnBatches turns;
    private final Vertx vertx;
    private final RoomSubscriber subscriber;
    private final RoomLogReader reader;
    private final RoomPositions positions;
    private final FrameCodec codec;
    private final GatewayMetrics metrics;
    private final Counter gapFills;
    private final Member.CatchUp catchUp;
    private final long writeIntervalNanos;

    public RoomRegistry(Vertx vertx, RoomSubscriber subscriber, RoomLogReader reader, MeterRegistry registry, GatewayMetrics metrics,
            RoomPositions positions, FrameCodec codec, GatewayConfig config) {
        this.vertx = vertx;
        this.subscriber = subscriber;
        this.reader = reader;
        this.positions = positions;
        this.codec = codec;
        this.metrics = metrics;
        this.loops = eventLoops(vertx);
        this.turns = new TurnBatches(loops);
        this.writeIntervalNanos = writeIntervalNanos(config.fanOut().writeInterval());
        this.gapFills = Counter.builder("chat.gateway.gap.fills").description("Gaps in Pub/Sub delivery filled from the recent log").register(registry);
        metrics.gauge("chat.gateway.rooms", "Rooms with members on this gateway", rooms::size);
        metrics.gauge("chat.gateway.redis.subscriptions", "Channels held on the Redis subscriber connection", subscriber::channelCount);
        int chunk = config.replay().chunk();
        this.catchUp = new Member.CatchUp() {
            @Override
            public Future<List<RoomMessage>> read(String room, long from, long to, int count) {
                return reader.range(room, from, to, count);
            }

            @Override
            public String lost(String room, long seq, String epoch) {
                return codec.encode(new ServerFrame.Joined(room, seq, epoch, false, null));
            }

            @Override
            public Future<String> epoch(String room) {
                return reader.epoch(room);
            }

            @Override
            public int chunk() {
                return chunk;
            }
        };
        subscriber.route(RoomKeys.CHANNEL_PREFIX, this::onMessage);
        subscriber.onReconnect(this::afterReconnect);
    }

    private static EventLoop[] eventLoops(Vertx vertx) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : vertx.nettyEventLoopGroup()) {
            loops.add((EventLoop) executor);
        }
        return loops.toArray(EventLoop[]::new);
    }

    /** Adds a member; completes once Redis confirmed the room's subscription on this gateway. */
    public Future<Void> add(Member member) {
        member.attach(catchUp);
        // compute() serialises first-join and last-leave of a room, so SUBSCRIBE and UNSUBSCRIBE are issued in order.
        LocalRoom room = rooms.compute(member.room(), (name, existing) -> {
            LocalRoom local = existing != null ? existing : newRoom(name);
            local.add(member);
            return local;
        });
        return room.subscribed;
    }

    /**
     * On a connection's event loop: writes now the frames of these members' rooms that wait for the write interval on
     * that loop, so that what the caller writes next (a drain's {@code reconnect}) comes after them.
     */
    public void writeWaiting(Collection<Member> members) {
        for (Member member : members) {
            LocalRoom room = rooms.get(member.room());
            if (room != null) {
                room.writeWaitingHere();
            }
        }
    }

    public void remove(Member member) {
        member.onLoop(member::stop);
        rooms.computeIfPresent(member.room(), (name, local) -> {
            local.remove(member);
            if (local.isEmpty()) {
                subscriber.unsubscribe(subscriber.layout().roomChannel(name));
                return null;
            }
            return local;
        });
    }

    /**
     * Completes a member's join with the position read after the subscription was confirmed: the room
     * starts there if it is new; the member gets {@code joined}, the replayed gap and everything the room
     * delivers after it.
     *
     * @param since the client's {@code since} when the gap is replayed in-band, else null
     * @return completes on the member's event loop once {@code joined} is written, or at once when the membership
     *         ended before it could start (nothing is written for it then)
     */
    public CompletionStage<Void> start(Member member, RoomPosition position, String joinedFrame, Long since) {
        CompletableFuture<Void> joinedWritten = new CompletableFuture<>();
        LocalRoom local = rooms.get(member.room());
        if (local == null || !local.contains(member)) {
            joinedWritten.complete(null);
            return joinedWritten;
        }
        List<RoomMessage> firstChunk = position.replay().stream().map(RoomMessage::of).toList();
        local.home.execute(() -> {
            RoomSequencer sequencer = local.sequencer;
            sequencer.start(position.seq());
            local.delivered = sequencer.delivered();
            // A member whose position is below where the room already is reads the messages between from the log.
            long target = sequencer.state() == RoomSequencer.State.RESETTING ? position.seq()
                    : Math.max(position.seq(), sequencer.delivered());
            long from = since != null && Boolean.TRUE.equals(position.recovered()) ? since : position.seq();
            String epoch = local.sharedEpoch(position.epoch());
            member.onLoop(() -> {
                try {
                    member.start(joinedFrame, epoch, from, target, firstChunk);
                } finally {
                    joinedWritten.complete(null);
                }
            });
        });
        return joinedWritten;
    }

    /** How many presence frames the room's members here have been handed so far; -1 when it has none here. */
    public int presenceFramesHanded(String room) {
        LocalRoom local = rooms.get(room);
        return local == null ? -1 : local.presenceFrames;
    }

    /**
     * Hands the room's members here a presence list read when {@link #presenceFramesHanded} was {@code seen}, in order with
     * the room's traffic, unless a presence frame was handed to them since: then the list may be older than what they
     * know, and {@code stale} runs instead (with {@code stale} null, the list is handed regardless).
     */
    public void announceList(String room, RoomMessage list, int seen, Runnable stale) {
        LocalRoom local = rooms.get(room);
        if (local != null) {
            local.home.execute(() -> {
                if (stale == null || local.presenceFrames == seen) {
                    local.onEphemeral(list);
                } else {
                    stale.run();
                }
            });
        }
    }

    /** Whether the user has joined the room on any connection of this gateway. */
    public boolean hasLocalMember(String room, String user) {
        LocalRoom local = rooms.get(room);
        return local != null && local.hasMember(user);
    }

    /**
     * Where the room is on this gateway: the last seq handed to its members' event loops (written, or waiting there for
     * the write interval), or the position it started at here; -1 when it has no member here or has not started yet.
     */
    public long handedThrough(String room) {
        LocalRoom local = rooms.get(room);
        return local == null ? -1 : local.delivered;
    }

    /** Names of the rooms with members on this gateway. */
    public java.util.Set<String> roomNames() {
        return java.util.Set.copyOf(rooms.keySet());
    }

    /** Rooms with at least one member on this gateway. */
    public int roomCount() {
        return rooms.size();
    }

    /** Longest accepted {@code chat.fan-out.write-interval}: a delay clients would notice is never what was meant. */
    static final Duration MAX_WRITE_INTERVAL = Duration.ofSeconds(5);

    /** The write interval in nanoseconds; refuses one below 0 or above {@link #MAX_WRITE_INTERVAL} (a bare "50" is 50 s). */
    static long writeIntervalNanos(Duration interval) {
        if (interval.isNegative() || interval.compareTo(MAX_WRITE_INTERVAL) > 0) {
            throw new IllegalArgumentException("chat.fan-out.write-interval must be between 0 and " + MAX_WRITE_INTERVAL.toMillis()
                    + "ms (give a unit: 50ms), not " + interval);
        }
        return interval.toNanos();
    }

    private LocalRoom newRoom(String name) {
        LocalRoom local = new LocalRoom(name, loops[Math.floorMod(name.hashCode(), loops.length)], subscriber.subscribe(subscriber.layout().roomChannel(name)),
                writeIntervalNanos, metrics::fannedOut);
        local.sequencer = new RoomSequencer(new Effects(local), HOLD_LIMIT, FILL_LIMIT);
        return local;
    }

    /** On the subscriber's connection: only routing; parsing and ordering run on the room's own loop. */
    private void onMessage(String channel, String payload) {
        LocalRoom room = rooms.get(subscriber.layout().roomOfChannel(channel));
        if (room != null) {
            turns.hand(room.home, () -> onPayload(room, payload));
        }
    }

    private void onPayload(LocalRoom room, String payload) {
        RoomMessage message;
        try {
            message = RoomMessage.of(payload);
        } catch (IllegalArgumentException e) {
            Log.warnf("Dropping unreadable payload in room %s: %s", room.name, e.getMessage());
            return;
        }
        if (message.isEphemeral()) {
            room.onEphemeral(message);
        } else {
            room.sequencer.live(message);
        }
    }

    /** Catches a silent loss at a room's tail: compares each room's head in Redis with what was delivered. */
    @Scheduled(every = "${chat.position-check-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> checkPositions() {
        Future<Void> done = readHeads(List.copyOf(rooms.values()), (local, head) -> local.home.execute(() -> local.sequencer.head(head)));
        return Uni.createFrom().completionStage(() -> done.toCompletionStage()).onFailure().recoverWithNull();
    }

    private void afterReconnect() {
        List<LocalRoom> all = List.copyOf(rooms.values());
        // Compare each head with what was delivered before reading it: live messages delivered while the
        // read is under way may be newer than the head it returns, and are no sign of a reset.
        java.util.Map<LocalRoom, Long> deliveredBefore = new java.util.IdentityHashMap<>();
        for (LocalRoom local : all) {
            deliveredBefore.put(local, local.delivered);
        }
        readHeads(all, (local, head) -> local.home.execute(() -> local.sequencer.resubscribed(head, deliveredBefore.get(local))))
                .onFailure(e -> Log.warnf("Could not read room positions after reconnecting (%s); the position check will catch up", e.getMessage()));
    }

    /** Reads the heads of the rooms (pipelined in batches by the reader) and hands each to a room still current here. */
    private Future<Void> readHeads(List<LocalRoom> all, BiConsumer<LocalRoom, Long> onHead) {
        return reader.heads(all.stream().map(local -> local.name).toList()).map(heads -> {
            for (int i = 0; i < all.size(); i++) {
                if (rooms.get(all.get(i).name) == all.get(i)) {
                    onHead.accept(all.get(i), heads.get(i));
                }
            }
            return null;
        });
    }

    /** Carries out what a room's sequencer asks for; every answer goes back to the room's home loop. */
    private final class Effects implements RoomSequencer.Effects {

        private final LocalRoom local;

        Effects(LocalRoom local) {
            this.local = local;
        }

        @Override
        public void deliver(RoomMessage message) {
            local.deliver(message);
        }

        @Override
        public void fetch(int token, long from, long to) {
            gapFills.increment();
            fetch(token, from, to, 1);
        }

        private void fetch(int token, long from, long to, int attempt) {
            reader.range(local.name, from, to, (int) (to - from + 1)).onComplete(read -> {
                if (read.succeeded()) {
                    local.home.execute(() -> local.sequencer.filled(token, read.result(), to));
                } else if (attempt < FILL_ATTEMPTS && rooms.get(local.name) == local) {
                    vertx.setTimer(100L * attempt, t -> fetch(token, from, to, attempt + 1));
                } else {
                    Log.warnf("Room %s: messages %d..%d could not be read (%s); members reload them from history",
                            local.name, from, to, read.cause().getMessage());
                    local.home.execute(() -> local.sequencer.fillFailed(token));
                }
            });
        }

        /**
         * Until the position can be read (Redis is back and, if it lost its data, history re-seeded the
         * counter) the room delivers nothing: keep trying while the room is current.
         */
        @Override
        public void readPosition(int token) {
            Log.warnf("Room %s lost messages in Redis (reset or trimmed); members restart from the current position", local.name);
            AtomicBoolean warned = new AtomicBoolean();
            positions.position(local.name, null, null)
                    .onFailure(e -> {
                        boolean current = rooms.get(local.name) == local;
                        if (current && warned.compareAndSet(false, true)) {
                            Log.warnf("Room %s: position cannot be read yet (%s); retrying", local.name, e.getMessage());
                        }
                        return current;
                    })
                    .retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2)).indefinitely()
                    .subscribe().with(
                            position -> local.home.execute(() -> local.sequencer.restartAt(token, position.seq(), () -> {
                                local.delivered = position.seq();
                                local.writeWaiting();
                                String frame = codec.encode(new ServerFrame.Joined(local.name, position.seq(), position.epoch(), false, null));
                                for (Member member : local.members()) {
                                    member.onLoop(() -> member.restartAt(frame, position.seq()));
                                }
                            })),
                            e -> Log.debugf("Room %s left this gateway before its position could be read: %s", local.name, e.getMessage()));
        }
    }
}
