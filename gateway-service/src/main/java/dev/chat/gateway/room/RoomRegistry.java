package dev.chat.gateway.room;

import dev.chat.gateway.publish.RoomKeys;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Room membership on this gateway. A room's channel is subscribed when its first local member
 * joins and unsubscribed when its last one leaves; every message from Redis is handed, already
 * encoded, to the room's local members only.
 */
@ApplicationScoped
public class RoomRegistry {

    private final ConcurrentHashMap<String, LocalRoom> rooms = new ConcurrentHashMap<>();
    private final RoomSubscriber subscriber;

    public RoomRegistry(RoomSubscriber subscriber) {
        this.subscriber = subscriber;
        subscriber.onMessage(this::onMessage);
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
        room.deliver(message);
    }
}
