package dev.chat.gateway.presence;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.PresenceMode;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.room.RoomMessage;
import dev.chat.gateway.room.RoomRegistry;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * Presence announcements travel on the room channels and are kept nowhere: those published while this gateway's
 * subscriber was cut off from Redis never reach its members. Once it holds its channels again, the members of each
 * local room that take presence frames get the room's list (an unsolicited {@code presence}, as a busy interval
 * sends one), so their view is right again without asking. Messages need no such step: the rooms fill their gaps from
 * the recent log.
 */
@ApplicationScoped
public class ListsAfterReconnect {

    private final RoomSubscriber subscriber;
    private final RoomRegistry rooms;
    private final PresenceRegistry presence;
    private final FrameCodec codec;
    /** Reads of one room's list at most, while announcements keep overtaking them; the last one is handed regardless. */
    static final int ATTEMPTS = 3;

    private final int maxUsers;
    private final Vertx vertx;
    /** How long after a reconnect the lists are read (see {@link #reconnected}). */
    private final long delayMs;
    /** Guarded by this: the timer of the lists to come, -1 if none. */
    private long timer = -1;

    public ListsAfterReconnect(RoomSubscriber subscriber, RoomRegistry rooms, PresenceRegistry presence, FrameCodec codec, GatewayConfig config,
            Vertx vertx) {
        this.subscriber = subscriber;
        this.rooms = rooms;
        this.presence = presence;
        this.codec = codec;
        this.vertx = vertx;
        this.maxUsers = config.presence().listAfterReconnectMaxUsers();
        this.delayMs = config.presence().heartbeatInterval().toMillis() + 2 * config.presence().batchInterval().toMillis();
    }

    void start(@Observes StartupEvent event) {
        if (maxUsers > 0) {
            subscriber.onReconnect(this::reconnected);
        }
    }

    /**
     * The lists go out one heartbeat (and two flushes) after the reconnect, not at once: if Redis lost its data, every
     * gateway has written its users' entries again by then, and a list read at once would have told members that
     * everyone had left. A reconnect within that wait starts it again.
     */
    synchronized void reconnected() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        timer = vertx.setTimer(delayMs, t -> {
            synchronized (this) {
                timer = -1;
            }
            sendLists();
        });
    }

    /**
     * Reads every local room's users and hands each room's list to its members. A room whose members were handed a
     * presence frame while its list was read (an announcement the list may predate) is read again, up to
     * {@link #ATTEMPTS} times in all.
     */
    void sendLists() {
        List<String> names = List.copyOf(rooms.roomNames());
        if (names.isEmpty()) {
            return;
        }
        int[] seen = new int[names.size()];
        for (int i = 0; i < seen.length; i++) {
            seen[i] = rooms.presenceFramesHanded(names.get(i));
        }
        presence.usersOf(names).subscribe().with(lists -> {
            int skipped = 0;
            for (int i = 0; i < names.size(); i++) {
                if (lists.get(i).size() > maxUsers) {
                    skipped++;
                } else {
                    hand(names.get(i), lists.get(i), seen[i], 1);
                }
            }
            if (skipped > 0) {
                Log.infof("After the subscriber reconnected, %d rooms with more than %d users got no presence list; their members ask presence",
                        skipped, maxUsers);
            }
        }, e -> Log.warnf("Could not read the rooms' presence after the subscriber reconnected (%s): members keep the view they had",
                e.getMessage()));
    }

    private void hand(String room, List<String> users, int seen, int attempt) {
        String frame = codec.encode(new ServerFrame.PresenceList(room, users, null));
        RoomMessage list = new RoomMessage(PresenceMode.LIST_AFTER_RECONNECT, -1, room, null, 0, frame);
        rooms.announceList(room, list, seen, attempt >= ATTEMPTS ? null : () -> {
            int now = rooms.presenceFramesHanded(room);
            presence.users(room).subscribe().with(again -> hand(room, again, now, attempt + 1), e -> {
                Log.debugf("Presence of %s not read again after the reconnect: %s", room, e.getMessage());
                // The list read before is still newer than what members had before the reconnect.
                hand(room, users, now, ATTEMPTS);
            });
        });
    }
}
