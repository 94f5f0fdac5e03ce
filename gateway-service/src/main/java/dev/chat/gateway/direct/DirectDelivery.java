package dev.chat.gateway.direct;

import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.publish.RoomPositions;
import dev.chat.gateway.room.Recipient;
import dev.chat.gateway.room.RoomLogReader;
import dev.chat.gateway.room.RoomMessage;
import dev.chat.gateway.room.RoomSequencer;
import dev.chat.gateway.room.RoomSubscriber;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Direct messages reach every connection of both users without a join: each gateway subscribes to
 * the user channel of every user connected to it (once per user, like rooms) and writes what
 * arrives to that user's connections, except those that joined the direct-message room itself.
 * Each direct-message room a user receives in is put in seq order like a joined room (a
 * {@link RoomSequencer} per user and room), so a message lost while the subscriber was cut off is
 * filled from the recent log, or the connections are told {@code recovered: false} for that room.
 */
@ApplicationScoped
public class DirectDelivery {

    private static final int HOLD_LIMIT = 1_000;
    private static final int FILL_LIMIT = 500;
    /** Latest messages read to find where a new direct-message room starts for a user. */
    private static final int LOOK_BACK = 100;
    /** How far the gateway's clock may be ahead of Redis's (message times are Redis's). */
    private static final long CLOCK_SLACK_MS = 2_000;

    /**
     * user -> their connections here: an immutable set, replaced on each connect or disconnect (copies bounded by the
     * per-user connection limit) and read without a lock for every direct message. A set of one costs 16 bytes of heap,
     * a concurrent one about 180.
     */
    private final ConcurrentHashMap<String, Set<Recipient>> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Future<Void>> subscriptions = new ConcurrentHashMap<>();
    /** When each local user's first connection here came (gateway clock, ms): what they may have missed starts there. */
    private final ConcurrentHashMap<String, Long> connectedSince = new ConcurrentHashMap<>();
    /** user -> their direct-message rooms' order; confined to the subscriber's context. */
    private final Map<String, UserDirectRooms> sequencers = new HashMap<>();
    private final int roomsOrdered;
    private final int roomsRemembered;
    private final UserDirectRooms.Totals totals = new UserDirectRooms.Totals();
    private final RoomSubscriber subscriber;
    private final RoomLogReader reader;
    private final RoomPositions positions;
    private final FrameCodec codec;

    public DirectDelivery(RoomSubscriber subscriber, RoomLogReader reader, RoomPositions positions, FrameCodec codec,
            GatewayConfig config, MeterRegistry registry) {
        Gauge.builder("chat.gateway.direct.rooms", totals.ordered(), AtomicInteger::get).tag("state", "ordered")
                .description("Direct-message rooms whose order this gateway keeps for connected users").register(registry);
        Gauge.builder("chat.gateway.direct.rooms", totals.setAside(), AtomicInteger::get).tag("state", "set_aside")
                .description("Direct-message rooms set aside with only their last delivered seq (chat.limits.direct-rooms-*)").register(registry);
        this.roomsOrdered = config.limits().directRoomsOrdered();
        this.roomsRemembered = config.limits().directRoomsRemembered();
        this.subscriber = subscriber;
        this.reader = reader;
        this.positions = positions;
        this.codec = codec;
        subscriber.route(RoomKeys.USER_CHANNEL_PREFIX, this::onMessage);
        subscriber.onReconnect(this::afterReconnect);
    }

    /** Registers a connection; completes once Redis confirmed its user's channel on this gateway. */
    public Future<Void> connected(Recipient recipient) {
        String user = recipient.user();
        users.compute(user, (u, set) -> {
            if (set == null) {
                connectedSince.put(u, System.currentTimeMillis());
                subscriptions.put(u, subscriber.subscribe(subscriber.layout().userChannel(u)));
                return Set.of(recipient);
            }
            Set<Recipient> more = new HashSet<>(set);
            more.add(recipient);
            return Set.copyOf(more);
        });
        return subscriptions.getOrDefault(user, Future.succeededFuture());
    }

    public void disconnected(Recipient recipient) {
        String user = recipient.user();
        Set<Recipient> left = users.computeIfPresent(user, (u, set) -> {
            Set<Recipient> rest = new HashSet<>(set);
            rest.remove(recipient);
            if (rest.isEmpty()) {
                subscriptions.remove(u);
                connectedSince.remove(u);
                subscriber.unsubscribe(subscriber.layout().userChannel(u));
                return null;
            }
            return Set.copyOf(rest);
        });
        if (left == null) {
            // Once the user is out of the map: a release queued from inside computeIfPresent could run on the subscriber's
            // thread before the map let go of the user, find them still connected and keep their rooms for ever.
            subscriber.runOnContext(() -> {
                if (!users.containsKey(user)) {
                    UserDirectRooms gone = sequencers.remove(user);
                    if (gone != null) {
                        gone.release();
                    }
                }
            });
        }
    }

    private void onMessage(String channel, String payload) {
        String user = subscriber.layout().userOfChannel(channel);
        Set<Recipient> local = users.get(user);
        if (local == null) {
            return;
        }
        RoomMessage message;
        try {
            message = RoomMessage.of(payload);
        } catch (IllegalArgumentException e) {
            Log.warnf("Dropping unreadable payload on %s", channel);
            return;
        }
        if (message.isEphemeral() || message.room() == null) {
            deliver(user, message);
            return;
        }
        UserDirectRooms rooms = sequencers.computeIfAbsent(user, u -> new UserDirectRooms(roomsOrdered, roomsRemembered, totals));
        RoomSequencer order = rooms.order(message.room());
        if (order == null) {
            order = new RoomSequencer(new Effects(user, message.room()), HOLD_LIMIT, FILL_LIMIT);
            Long delivered = rooms.takeSetAside(message.room());
            rooms.add(message.room(), order);
            if (delivered != null) {
                // Set aside while settled: it goes on after what it delivered (a gap is filled from the log).
                order.start(delivered);
                order.live(message);
                return;
            }
            // First message of this room on this gateway for the user: held until the room's start for this user
            // is known (the last message from before they connected here), so none missed before it is skipped.
            order.live(message);
            start(user, message.room(), order, message.seq());
            return;
        }
        order.live(message);
    }

    private void deliver(String user, RoomMessage message) {
        Set<Recipient> local = users.get(user);
        if (local == null) {
            return;
        }
        for (Recipient recipient : local) {
            if (message.isEphemeral()) {
                if (!recipient.hasJoined(message.room())) {
                    recipient.send(message);
                }
            } else {
                recipient.sendDirect(message);
            }
        }
    }

    /** Messages published while the subscriber was cut off: each room's head says what to fill. */
    private void afterReconnect() {
        List<String[]> keys = new ArrayList<>();
        List<RoomSequencer> orders = new ArrayList<>();
        List<Long> before = new ArrayList<>();
        sequencers.forEach((user, rooms) -> rooms.forEachOrder((room, order) -> {
            keys.add(new String[] {user, room});
            orders.add(order);
            before.add(order.delivered());
            // Not set aside while the head is on its way: its answer may show messages the outage cost.
            order.headAsked();
        }));
        Future<Void> chain = reader.heads(keys.stream().map(k -> k[1]).toList()).map(heads -> {
            subscriber.runOnContext(() -> {
                for (int i = 0; i < keys.size(); i++) {
                    UserDirectRooms rooms = sequencers.get(keys.get(i)[0]);
                    if (rooms != null && rooms.holds(keys.get(i)[1], orders.get(i))) {
                        orders.get(i).resubscribed(heads.get(i), before.get(i));
                    }
                }
                sequencers.values().forEach(UserDirectRooms::trim);
            });
            return null;
        });
        chain.onFailure(e -> {
            Log.warnf("Could not read direct-message positions after reconnecting: %s", e.getMessage());
            subscriber.runOnContext(() -> {
                orders.forEach(RoomSequencer::headNotRead);
                sequencers.values().forEach(UserDirectRooms::trim);
            });
        });
        recoverUnseenRooms();
    }

    /**
     * Direct messages missed in rooms this gateway never delivered to the user (so no sequencer knows them): the
     * user's room index names every room with a message since the user connected here; each such room gets a
     * sequencer started at the last message from before that moment, and the fill delivers the rest. If the
     * recent log does not reach back that far, the user's connections are told {@code recovered: false}.
     */
    private void recoverUnseenRooms() {
        Map<String, Long> since = new HashMap<>();
        // A room's score may be up to one index refresh older than its latest message.
        connectedSince.forEach((user, at) -> since.put(user, at - CLOCK_SLACK_MS - DirectRoomIndex.REFRESH_MS));
        reader.directRooms(since).onComplete(read -> subscriber.runOnContext(() -> {
            if (read.failed()) {
                Log.warnf("Could not read direct-message rooms after reconnecting: %s", read.cause().getMessage());
                return;
            }
            read.result().forEach((user, rooms) -> {
                if (!users.containsKey(user)) {
                    return;
                }
                UserDirectRooms known = sequencers.computeIfAbsent(user, u -> new UserDirectRooms(roomsOrdered, roomsRemembered, totals));
                for (String room : rooms) {
                    if (known.order(room) != null) {
                        continue;
                    }
                    RoomSequencer order = new RoomSequencer(new Effects(user, room), HOLD_LIMIT, FILL_LIMIT);
                    Long delivered = known.takeSetAside(room);
                    known.add(room, order);
                    if (delivered != null) {
                        resume(user, room, order, delivered);
                    } else {
                        start(user, room, order, Long.MAX_VALUE);
                    }
                }
            });
        }));
    }

    /**
     * Starts a direct-message room that has delivered nothing to the user on this gateway yet: at the last message
     * from before the user connected here (everything after it is theirs), found among the room's latest messages.
     * If none of those is that old, the log no longer reaches back that far and the room restarts with
     * {@code recovered: false}. A message that came live ({@code firstLive}) was published after the user's channel
     * was subscribed here, so it is theirs whatever the clocks say.
     */
    private void start(String user, String room, RoomSequencer order, long firstLive) {
        if (sequencers.get(user).forgotSome()) {
            // Once the user's gateway forgot where a room stood (UserDirectRooms), a room without an order may be one
            // that delivered before: its connections reload it from history (recovered: false) rather than get it
            // twice. Unless its first message came live: a new room, whole from there.
            if (firstLive == 1) {
                order.start(0);
            } else {
                order.reset();
            }
            return;
        }
        long cutoff = connectedSince.getOrDefault(user, System.currentTimeMillis()) - CLOCK_SLACK_MS;
        whenRead(reader.latest(room, LOOK_BACK), user, room, order, newestFirst -> {
            long head = newestFirst.isEmpty() ? 0 : newestFirst.get(0).seq();
            long start = -1;
            for (RoomMessage message : newestFirst) {
                if (message.ts() < cutoff) {
                    start = message.seq();
                    break;
                }
            }
            boolean wholeRoom = newestFirst.size() < LOOK_BACK
                    && (newestFirst.isEmpty() || newestFirst.get(newestFirst.size() - 1).seq() == 1);
            if (start < 0 && wholeRoom) {
                start = 0;
            }
            start = Math.min(start, firstLive - 1);
            if (start < 0) {
                order.reset();
                return;
            }
            order.start(start);
            order.resubscribed(head, -1);
        });
    }

    /** Picks a set-aside room up after what it delivered, up to the room's head (what a cut-off subscriber missed is filled). */
    private void resume(String user, String room, RoomSequencer order, long delivered) {
        order.start(delivered);
        order.headAsked();
        whenRead(reader.heads(List.of(room)), user, room, order, heads -> order.resubscribed(heads.get(0), delivered));
    }

    /** Runs {@code then} on the subscriber's context with what was read, while {@code order} is still the room's; a failed read resets it. */
    private <T> void whenRead(Future<T> read, String user, String room, RoomSequencer order, Consumer<T> then) {
        read.onComplete(done -> subscriber.runOnContext(() -> {
            UserDirectRooms rooms = sequencers.get(user);
            if (rooms == null || !rooms.holds(room, order)) {
                return;
            }
            if (done.failed()) {
                order.reset();
                return;
            }
            then.accept(done.result());
            rooms.trim();
        }));
    }

    /** The reads one user's direct-message room asks for; answers go back to the subscriber's context. */
    private final class Effects implements RoomSequencer.Effects {

        private final String user;
        private final String room;

        Effects(String user, String room) {
            this.user = user;
            this.room = room;
        }

        private RoomSequencer order() {
            UserDirectRooms rooms = sequencers.get(user);
            return rooms == null ? null : rooms.order(room);
        }

        @Override
        public void deliver(RoomMessage message) {
            DirectDelivery.this.deliver(user, message);
        }

        @Override
        public void fetch(int token, long from, long to) {
            reader.range(room, from, to, (int) (to - from + 1)).onComplete(read -> subscriber.runOnContext(() -> {
                RoomSequencer order = order();
                if (order == null) {
                    return;
                }
                if (read.succeeded()) {
                    order.filled(token, read.result(), to);
                } else {
                    order.fillFailed(token);
                }
                trim();
            }));
        }

        /** An answer may have settled the order: the user's rooms may be set aside down to their bound. */
        private void trim() {
            UserDirectRooms rooms = sequencers.get(user);
            if (rooms != null) {
                rooms.trim();
            }
        }

        @Override
        public void readPosition(int token) {
            positions.position(room, null, null)
                    .onFailure(e -> users.containsKey(user)).retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2)).indefinitely()
                    .subscribe().with(position -> subscriber.runOnContext(() -> {
                        RoomSequencer order = order();
                        if (order != null) {
                            order.restartAt(token, position.seq(), () -> {
                                // Reload this room from history up to here: nothing in between reached this user.
                                String frame = codec.encode(new ServerFrame.Joined(room, position.seq(), position.epoch(), false, null));
                                Set<Recipient> local = users.get(user);
                                if (local != null) {
                                    for (Recipient recipient : local) {
                                        recipient.sendDirectRestart(room, position.seq(), position.epoch(), frame);
                                    }
                                }
                            });
                            trim();
                        }
                    }), e -> Log.debugf("Direct room %s of %s: position not read: %s", room, user, e.getMessage()));
        }
    }
}
