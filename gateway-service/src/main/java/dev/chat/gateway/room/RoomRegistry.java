package dev.chat.gateway.room;

import dev.chat.gateway.publish.RoomKeys;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.publish.RecentLog;
import dev.chat.gateway.publish.RoomPositions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Room membership on this gateway. A room's channel is subscribed when its first local member
 * joins and unsubscribed when its last one leaves; every message from Redis is handed, already
 * encoded, to the room's local members only.
 */
@ApplicationScoped
public class RoomRegistry {

    private final ConcurrentHashMap<String, LocalRoom> rooms = new ConcurrentHashMap<>();
    private final RoomSubscriber subscriber;
    private final RecentLog recentLog;
    private final Counter gapFills;

    private final GatewayMetrics metrics;

    private final RoomPositions positions;
    private final FrameCodec codec;

    public RoomRegistry(RoomSubscriber subscriber, RecentLog recentLog, MeterRegistry registry, GatewayMetrics metrics,
            RoomPositions positions, FrameCodec codec) {
        this.positions = positions;
        this.codec = codec;
        this.subscriber = subscriber;
        this.metrics = metrics;
        this.gapFills = Counter.builder("chat.gateway.gap.fills").description("Gaps in Pub/Sub delivery filled from the recent log").register(registry);
        metrics.gauge("chat.gateway.rooms", "Rooms with members on this gateway", rooms::size);
        metrics.gauge("chat.gateway.redis.subscriptions", "Channels held on the Redis subscriber connection", subscriber::channelCount);
        this.recentLog = recentLog;
        subscriber.route(RoomKeys.CHANNEL_PREFIX, this::onMessage);
        subscriber.onReconnect(this::afterReconnect);
    }

    /** Records the position a member joined at; see {@link LocalRoom#baseline(long)}. */
    public void joinedAt(String room, long position) {
        subscriber.runOnContext(() -> {
            LocalRoom local = rooms.get(room);
            if (local != null) {
                local.baseline(position);
            }
        });
    }

    /** Catches a silent loss at a room's tail: compares each room's head in Redis with what was delivered. */
    @Scheduled(every = "${chat.position-check-interval:5s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void checkPositions() {
        for (LocalRoom local : rooms.values()) {
            recentLog.head(local.name).subscribe().with(
                    head -> subscriber.runOnContext(() -> fill(local, local.onHead(head))),
                    e -> Log.debugf("Position check of %s failed: %s", local.name, e.getMessage()));
        }
    }

    private void afterReconnect() {
        for (LocalRoom local : rooms.values()) {
            // Compare the head with what was delivered before reading it: live messages delivered while
            // the read is under way may be newer than the head it returns, and are no sign of a reset.
            long deliveredBefore = local.delivered();
            recentLog.head(local.name).subscribe().with(
                    head -> subscriber.runOnContext(() -> {
                        if (LocalRoom.wasReset(head, deliveredBefore)) {
                            restart(local);
                        } else {
                            fill(local, local.onResubscribed(head));
                        }
                    }),
                    e -> Log.warnf("Could not read the position of %s after reconnecting: %s", local.name, e.getMessage()));
        }
    }

    /**
     * Redis lost the room's stream, or a gap is gone from the recent log: the members get
     * {@code joined} with {@code recovered: false} and the current position, so they reload the
     * gap from the history API instead of silently missing it.
     */
    private void restart(LocalRoom local) {
        local.beginReset();
        int reset = local.resets();
        AtomicBoolean warned = new AtomicBoolean();
        // Until the position can be read (Redis is back and, if it lost its data, history re-seeded the
        // counter) the room delivers nothing: keep trying while the room and this reset are current.
        positions.position(local.name, null, null)
                .onFailure(e -> {
                    boolean current = rooms.get(local.name) == local && local.resets() == reset;
                    if (current && warned.compareAndSet(false, true)) {
                        Log.warnf("Room %s was reset in Redis and its position cannot be read yet (%s); retrying", local.name, e.getMessage());
                    }
                    return current;
                })
                .retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2)).indefinitely()
                .subscribe().with(
                        position -> subscriber.runOnContext(() -> {
                            if (local.resets() != reset) {
                                return;
                            }
                            local.restartAt(position.seq());
                            String frame = codec.encode(new ServerFrame.Joined(local.name, position.seq(), position.epoch(), false, null));
                            for (Member member : local.members) {
                                member.restartAt(frame, position.seq());
                            }
                            // Then what arrived live while the room was resetting, beyond the new head.
                            afterFill(local, local.onFilled(List.of(), position.seq()));
                        }),
                        e -> Log.debugf("Room %s left this gateway or was reset again before its position could be read: %s",
                                local.name, e.getMessage()));
    }

    /** Fetches a gap from the recent log and hands it back to the room on the subscriber's context. */
    private void fill(LocalRoom local, long[] range) {
        if (range == null) {
            return;
        }
        gapFills.increment();
        int reset = local.resets();
        // A fill that was under way when the room was reset read the old stream: its result is dropped.
        recentLog.range(local.name, range[0], range[1])
                .onFailure().retry().withBackOff(Duration.ofMillis(100), Duration.ofSeconds(2)).atMost(10)
                .subscribe().with(
                        frames -> subscriber.runOnContext(() -> {
                            if (local.resets() == reset) {
                                afterFill(local, local.onFilled(parse(frames), range[1]));
                            }
                        }),
                        e -> subscriber.runOnContext(() -> {
                            if (local.resets() == reset) {
                                afterFill(local, local.onFilled(List.of(), range[1]));
                            }
                        }));
    }

    private void afterFill(LocalRoom local, long[] next) {
        if (local.unrecoverable) {
            local.unrecoverable = false;
            restart(local);
            return;
        }
        fill(local, next);
    }

    private static List<RoomMessage> parse(List<String> frames) {
        return frames.stream().map(RoomMessage::of).toList();
    }

    /** Adds a member; completes once the room's channel is subscribed on this gateway. */
    public Future<Void> add(Member member) {
        // compute() serialises first-join and last-leave of a room, so SUBSCRIBE and UNSUBSCRIBE are issued in order.
        LocalRoom room = rooms.compute(member.room(), (name, existing) -> {
            LocalRoom local = existing != null ? existing : new LocalRoom(name, subscriber.subscribe(RoomKeys.channel(name)));
            local.members.add(member);
            return local;
        });
        return room.subscribed;
    }

    public void remove(Member member) {
        rooms.computeIfPresent(member.room(), (name, local) -> {
            local.members.remove(member);
            if (local.members.isEmpty()) {
                subscriber.unsubscribe(RoomKeys.channel(name));
                return null;
            }
            return local;
        });
    }

    /** Whether the user has joined the room on any connection of this gateway. */
    public boolean hasLocalMember(String room, String user) {
        LocalRoom local = rooms.get(room);
        return local != null && local.hasMember(user);
    }

    /** Names of the rooms with members on this gateway. */
    public java.util.Set<String> roomNames() {
        return java.util.Set.copyOf(rooms.keySet());
    }

    /** Rooms with at least one member on this gateway. */
    public int roomCount() {
        return rooms.size();
    }

    private void onMessage(String channel, String payload) {
        if (!channel.startsWith(RoomKeys.CHANNEL_PREFIX)) {
            return;
        }
        LocalRoom room = rooms.get(RoomKeys.roomOfChannel(channel));
        if (room == null) {
            return;
        }
        RoomMessage message;
        try {
            message = RoomMessage.of(payload);
        } catch (IllegalArgumentException e) {
            Log.warnf("Dropping unreadable payload on %s: %s", channel, e.getMessage());
            return;
        }
        if (message.isEphemeral()) {
            room.onEphemeral(message);
        } else {
            metrics.fannedOut(message.ts());
            fill(room, room.onLive(message));
        }
    }
}
