package dev.chat.gateway.direct;

import dev.chat.gateway.publish.RoomKeys;
import dev.chat.gateway.room.Recipient;
import dev.chat.gateway.room.RoomMessage;
import dev.chat.gateway.room.RoomSubscriber;
import io.quarkus.logging.Log;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Direct messages reach every connection of both users without a join: each gateway subscribes to
 * the user channel of every user connected to it (once per user, like rooms) and writes what
 * arrives to that user's connections, except those that joined the direct-message room itself.
 */
@ApplicationScoped
public class DirectDelivery {

    private final ConcurrentHashMap<String, Set<Recipient>> users = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Future<Void>> subscriptions = new ConcurrentHashMap<>();
    private final RoomSubscriber subscriber;

    public DirectDelivery(RoomSubscriber subscriber) {
        this.subscriber = subscriber;
        subscriber.route(RoomKeys.USER_CHANNEL_PREFIX, this::onMessage);
    }

    /** Registers a connection; completes once its user's channel is subscribed on this gateway. */
    public Future<Void> connected(Recipient recipient) {
        String user = recipient.user();
        users.compute(user, (u, set) -> {
            Set<Recipient> local = set != null ? set : ConcurrentHashMap.newKeySet();
            if (set == null) {
                subscriptions.put(u, subscriber.subscribe(RoomKeys.userChannel(u)));
            }
            local.add(recipient);
            return local;
        });
        return subscriptions.getOrDefault(user, Future.succeededFuture());
    }

    public void disconnected(Recipient recipient) {
        users.computeIfPresent(recipient.user(), (user, set) -> {
            set.remove(recipient);
            if (set.isEmpty()) {
                subscriptions.remove(user);
                subscriber.unsubscribe(RoomKeys.userChannel(user));
                return null;
            }
            return set;
        });
    }

    private void onMessage(String channel, String payload) {
        Set<Recipient> local = users.get(channel.substring(RoomKeys.USER_CHANNEL_PREFIX.length()));
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
        for (Recipient recipient : local) {
            if (!recipient.hasJoined(message.room())) {
                recipient.send(payload);
            }
        }
    }
}
