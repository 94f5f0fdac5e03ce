package dev.chat.gateway.room;

import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A room as this gateway holds it: its local members, the subscription of its channel, and its
 * {@link RoomSequencer}. The room lives on one "home" event loop (chosen by its name, so rooms spread
 * over the loops); each delivery is handed once to every event loop that owns members of the room,
 * and that loop writes to its own connections: no write hops threads, and per-room order holds
 * because every loop gets the room's messages from the home loop in order.
 */
final class LocalRoom {

    final String name;
    final EventLoop home;
    final Future<Void> subscribed;
    /** Set right after construction; confined to {@link #home}. */
    RoomSequencer sequencer;
    /** The sequencer's delivered seq, readable from other threads. */
    volatile long delivered = -1;
    /** Copy-on-write: joins are rare, deliveries iterate it without a lock. */
    private volatile Shard[] shards = new Shard[0];

    LocalRoom(String name, EventLoop home, Future<Void> subscribed) {
        this.name = name;
        this.home = home;
        this.subscribed = subscribed;
    }

    /**
     * A typing or presence frame: straight to live members, never to the user it is about if it is
     * typing; like messages, each event loop writes to its own members.
     */
    void onEphemeral(RoomMessage message) {
        String except = "typing".equals(message.type()) ? message.user() : null;
        for (Shard shard : shards) {
            onLoop(shard, () -> {
                for (Member member : shard.members) {
                    member.deliverEphemeral(message, except);
                }
            });
        }
    }

    /** Whether any local member of this room is the given user (on any connection). */
    boolean hasMember(String user) {
        for (Shard shard : shards) {
            for (Member member : shard.members) {
                if (member.recipient().user().equals(user)) {
                    return true;
                }
            }
        }
        return false;
    }

    boolean contains(Member member) {
        for (Shard shard : shards) {
            if (Arrays.asList(shard.members).contains(member)) {
                return true;
            }
        }
        return false;
    }

    boolean isEmpty() {
        for (Shard shard : shards) {
            if (shard.members.length > 0) {
                return false;
            }
        }
        return true;
    }

    /** A snapshot of the members, over all event loops. */
    List<Member> members() {
        List<Member> all = new ArrayList<>();
        for (Shard shard : shards) {
            all.addAll(Arrays.asList(shard.members));
        }
        return all;
    }

    synchronized void add(Member member) {
        EventLoop loop = member.recipient().eventLoop();
        EventLoop owner = loop != null ? loop : home;
        for (Shard shard : shards) {
            if (shard.loop == owner) {
                shard.members = append(shard.members, member);
                return;
            }
        }
        Shard shard = new Shard(owner);
        shard.members = new Member[] {member};
        shards = append(shards, shard);
    }

    synchronized void remove(Member member) {
        for (Shard shard : shards) {
            int i = Arrays.asList(shard.members).indexOf(member);
            if (i >= 0) {
                Member[] rest = new Member[shard.members.length - 1];
                System.arraycopy(shard.members, 0, rest, 0, i);
                System.arraycopy(shard.members, i + 1, rest, i, rest.length - i);
                shard.members = rest;
                return;
            }
        }
    }

    /** Hands a message, in seq order, to every member: on the home loop for its own members, one task per other loop. */
    void deliver(RoomMessage message) {
        delivered = message.seq();
        for (Shard shard : shards) {
            onLoop(shard, () -> shard.deliver(message));
        }
    }

    private static void onLoop(Shard shard, Runnable task) {
        if (shard.loop.inEventLoop()) {
            task.run();
        } else {
            shard.loop.execute(task);
        }
    }

    private static <T> T[] append(T[] array, T item) {
        T[] longer = Arrays.copyOf(array, array.length + 1);
        longer[array.length] = item;
        return longer;
    }

    /** The members of the room whose connections one event loop owns. */
    private static final class Shard {
        final EventLoop loop;
        volatile Member[] members;

        Shard(EventLoop loop) {
            this.loop = loop;
        }

        void deliver(RoomMessage message) {
            for (Member member : members) {
                member.deliver(message);
            }
        }
    }
}
