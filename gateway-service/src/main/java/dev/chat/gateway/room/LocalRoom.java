package dev.chat.gateway.room;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

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
    /** Least nanoseconds between two runs of a shard (see {@link Shard}); 0: no wait. */
    private final long writeIntervalNanos;
    /** Told each message's acceptance time once it is written to this gateway's members (by one shard only). */
    private final LongConsumer written;
    /** Set right after construction; confined to {@link #home}. */
    RoomSequencer sequencer;
    /** The sequencer's delivered seq, readable from other threads. */
    volatile long delivered = -1;
    /** Copy-on-write: joins are rare, deliveries iterate it without a lock. */
    private volatile Shard[] shards = new Shard[0];
    /** Presence frames handed to the members so far: written on {@link #home} only, read from any thread. */
    volatile int presenceFrames;
    /** The stream epoch members last joined at, one copy for them all; confined to {@link #home}. */
    private String epoch;

    LocalRoom(String name, EventLoop home, Future<Void> subscribed, long writeIntervalNanos, LongConsumer written) {
        this.name = name;
        this.home = home;
        this.subscribed = subscribed;
        this.writeIntervalNanos = writeIntervalNanos;
        this.written = written;
    }

    /**
     * A typing or presence frame: straight to live members, never to the user it is about if it is
     * typing; like messages, each event loop writes to its own members.
     */
    void onEphemeral(RoomMessage message) {
        if (message.type().startsWith("presence")) {
            presenceFrames++;
        }
        for (Shard shard : shards) {
            shard.hand(message);
        }
    }

    /**
     * The room's copy of an epoch a join read (each join reads its own from Redis): members keep it for as long as
     * they are in the room, and one copy serves them all. On {@link #home}.
     */
    String sharedEpoch(String read) {
        if (read == null) {
            return null;
        }
        if (!read.equals(epoch)) {
            epoch = read;
        }
        return epoch;
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
        // Shards are never dropped, so the first one times every message of the room, and only once.
        Shard shard = new Shard(owner, home, writeIntervalNanos, shards.length == 0 ? written : null);
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

    /** Hands a message, in seq order, to every event loop that owns members (see {@link Shard}). */
    void deliver(RoomMessage message) {
        for (Shard shard : shards) {
            shard.hand(message);
        }
        // After the hand-over: a thread that reads it finds the message in every shard's inbox (or written).
        delivered = message.seq();
    }

    /**
     * Writes now what waits for the write interval, ahead of anything the caller then runs on the members' loops: a
     * restart told to the members must not be overtaken by frames of the position before it. From the home loop.
     */
    void writeWaiting() {
        for (Shard shard : shards) {
            if (!shard.loop.inEventLoop()) {
                shard.loop.execute(shard);
            }
        }
        writeWaitingHere();
    }

    /** Writes now what waits for the write interval to this room's members on the calling event loop. */
    void writeWaitingHere() {
        for (Shard shard : shards) {
            if (shard.loop.inEventLoop()) {
                shard.run();
            }
        }
    }

    private static <T> T[] append(T[] array, T item) {
        T[] longer = Arrays.copyOf(array, array.length + 1);
        longer[array.length] = item;
        return longer;
    }

    /**
     * The members of the room whose connections one event loop owns, and the room's frames handed to that loop
     * and not yet written. The loop writes whatever has arrived in one run, each member's frames in one socket
     * write: a presence batch (up to a diff and eight events, published together) costs each connection one
     * write instead of one per frame, and a single message costs what it did. The home loop wakes the shard's
     * loop at the end of its turn, once what Redis delivered together has been handed over (see {@link TurnBatches}).
     * The inbox holds only what the home loop handed since the shard's last run (drained whole, {@link #RUN} frames
     * at a time). With a write interval, a run waits until that long after the previous one: what arrives meanwhile
     * (a busy room's next messages) shares each member's write; the wait is one timer per room and loop, not one per
     * member.
     */
    private static final class Shard implements Runnable {
        /** Frames written per run before the loop yields to its other work. */
        private static final int RUN = 64;

        final EventLoop loop;
        volatile Member[] members;
        private final Queue<RoomMessage> inbox = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        private final EventLoop home;
        private final Runnable wake;
        private final long intervalNanos;
        /** When the last run began (System.nanoTime), kept only with a write interval. */
        private volatile long lastRun;
        /** Null but in the room's first shard. */
        private final LongConsumer written;

        Shard(EventLoop loop, EventLoop home, long intervalNanos, LongConsumer written) {
            this.loop = loop;
            this.home = home;
            this.wake = loop == home ? this : () -> loop.execute(this);
            this.intervalNanos = intervalNanos;
            this.lastRun = System.nanoTime() - intervalNanos;
            this.written = written;
        }

        /** From the room's home loop, in the room's order. */
        void hand(RoomMessage message) {
            inbox.add(message);
            if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
                long wait = intervalNanos == 0 ? 0 : lastRun + intervalNanos - System.nanoTime();
                if (wait > 0) {
                    loop.schedule(this, wait, TimeUnit.NANOSECONDS);
                } else if (home instanceof SingleThreadEventLoop turns && turns.inEventLoop()) {
                    turns.executeAfterEventLoopIteration(wake);
                } else {
                    loop.execute(this);
                }
            }
        }

        /** On {@link #loop}: writes what arrived, in order. */
        @Override
        public void run() {
            if (intervalNanos != 0) {
                // Before the flag is cleared: a frame handed from then on waits a whole interval after this run.
                lastRun = System.nanoTime();
            }
            scheduled.set(false);
            RoomMessage first = inbox.poll();
            if (first == null) {
                return;
            }
            RoomMessage next = inbox.poll();
            // An array, not a list: it is walked once per member, and an iterator per member showed in profiles.
            RoomMessage[] run;
            if (next == null) {
                run = new RoomMessage[] {first};
            } else {
                List<RoomMessage> more = new ArrayList<>();
                more.add(first);
                more.add(next);
                while (more.size() < RUN && (next = inbox.poll()) != null) {
                    more.add(next);
                }
                if (!inbox.isEmpty() && scheduled.compareAndSet(false, true)) {
                    loop.execute(this);
                }
                run = more.toArray(new RoomMessage[0]);
            }
            for (Member member : members) {
                Recipient recipient = member.recipient();
                recipient.holdFlushes();
                try {
                    for (RoomMessage message : run) {
                        if (message.isEphemeral()) {
                            // Typing goes to everyone but the typist.
                            member.deliverEphemeral(message, "typing".equals(message.type()) ? message.user() : null);
                        } else {
                            member.deliver(message);
                        }
                    }
                } finally {
                    recipient.flush();
                }
            }
            if (written != null) {
                for (RoomMessage message : run) {
                    if (!message.isEphemeral()) {
                        written.accept(message.ts());
                    }
                }
            }
        }
    }
}
