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
     * Reads every local room's users and hands each room's list to its members. An announcement published after the
     * read may reach members before the list: a user it announces may be missing from the list until the next change.
     */
    void sendLists() {
        List<String> names = List.copyOf(rooms.roomNames());
        if (names.isEmpty()) {
            return;
        }
        presence.usersOf(names).subscribe().with(lists -> {
            int skipped = 0;
            for (int i = 0; i < names.size(); i++) {
                List<String> users = lists.get(i);
                if (users.size() > maxUsers) {
                    skipped++;
                    continue;
                }
                String frame = codec.encode(new ServerFrame.PresenceList(names.get(i), users, null));
                rooms.announce(names.get(i), new RoomMessage(PresenceMode.LIST_AFTER_RECONNECT, -1, names.get(i), null, 0, frame));
            }
            if (skipped > 0) {
                Log.infof("After the subscriber reconnected, %d rooms with more than %d users got no presence list; their members ask presence",
                        skipped, maxUsers);
            }
        }, e -> Log.warnf("Could not read the rooms' presence after the subscriber reconnected (%s): members keep the view they had",
                e.getMessage()));
    }
}
