package dev.chat.gateway.room;

import io.vertx.core.Future;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A room as this gateway holds it: its local members and the subscription of its channel. */
final class LocalRoom {

    final String name;
    final Future<Void> subscribed;
    final Set<Member> members = ConcurrentHashMap.newKeySet();

    LocalRoom(String name, Future<Void> subscribed) {
        this.name = name;
        this.subscribed = subscribed;
    }

    /** Called on the subscriber's context, one message at a time in Redis order. */
    void deliver(RoomMessage message) {
        for (Member member : members) {
            member.deliver(message);
        }
    }
}
