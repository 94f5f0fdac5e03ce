package dev.chat.gateway.room;

import java.util.ArrayDeque;

/**
 * Puts one room's stream in seq order on this gateway: Pub/Sub may drop messages silently and Redis may
 * lose a stream, so every way a room can start, jump, fill, lose a range or reset is decided here, in
 * one place, without I/O (the owner does the reads the {@link Effects} ask for and reports back).
 * Not thread-safe: the owner confines it to one thread.
 */
public final class RoomSequencer {

    /** Where the room stands. */
    public enum State {
        /** Subscribed, start position not known yet: live messages are held, none is delivered. */
        STARTING,
        /** Delivering live messages as they come, in order. */
        LIVE,
        /** A range is being read from the recent log; live messages are held behind it. */
        FILLING,
        /** The stream was lost (reset in Redis, or a range is gone from the log): waiting for the new start. */
        RESETTING
    }

    /** What the owner carries out for the sequencer; each call is made from the sequencer's thread. */
    public interface Effects {
        void deliver(RoomMessage message);

        /** Read {@code from..to} from the recent log; answer with {@link #filled} or {@link #fillFailed} and the token. */
        void fetch(int token, long from, long to);

        /** Read the room's current position; answer with {@link #restartAt} and the token. */
        void readPosition(int token);
    }

    private final Effects effects;
    private final int holdLimit;
    private final int fetchLimit;
    private final ArrayDeque<RoomMessage> held = new ArrayDeque<>();
    private State state = State.STARTING;
    private long delivered = -1;
    /** A head seen by a position check, to be reached by the next check or filled. */
    private long suspectedHead = -1;
    /** A head known to exist for sure (read after a re-subscription): reached by a fill once nothing is held. */
    private long knownHead = -1;
    /** Names the outstanding read; an answer with another token is stale (the room was reset since). */
    private int token;
    /** Head reads after re-subscriptions on their way (several after a flapping connection): until answered, a gap may be unknown. */
    private int headsAsked;

    /**
     * @param holdLimit live messages held at most while starting, filling or resetting; beyond it the
     *        oldest is dropped (it is in the recent log, and the next fill reads it back)
     * @param fetchLimit most messages asked for by one fill; a longer gap is filled in several
     */
    public RoomSequencer(Effects effects, int holdLimit, int fetchLimit) {
        this.effects = effects;
        this.holdLimit = holdLimit;
        this.fetchLimit = fetchLimit;
    }

    public State state() {
        return state;
    }

    /** The last seq delivered, -1 before the start. */
    public long delivered() {
        return delivered;
    }

    /**
     * Live with nothing held, nothing being read, no head still to reach and none asked for: setting it aside loses
     * nothing but {@link #delivered}.
     */
    public boolean isSettled() {
        return state == State.LIVE && headsAsked == 0 && held.isEmpty() && knownHead <= delivered && suspectedHead <= delivered;
    }

    /** The owner asked for the room's head after a re-subscription; {@link #resubscribed} or {@link #headNotRead} answers. */
    public void headAsked() {
        headsAsked++;
    }

    /** A head asked for could not be read: the next re-subscription asks again. */
    public void headNotRead() {
        headsAsked = Math.max(0, headsAsked - 1);
    }

    /** The start position (the first member's join position) is known: everything after it is delivered. */
    public void start(long position) {
        if (state != State.STARTING) {
            return;
        }
        delivered = position;
        state = State.LIVE;
        drain();
    }

    /** A message from Pub/Sub, in Redis order. */
    public void live(RoomMessage message) {
        if (state != State.LIVE) {
            hold(message);
            return;
        }
        if (message.seq() <= delivered) {
            return;
        }
        if (message.seq() == delivered + 1) {
            deliver(message);
            return;
        }
        hold(message);
        fill(delivered + 1, message.seq() - 1);
    }

    /**
     * What a fill read. It must start exactly at the first missing seq and run without a hole up to
     * {@code to}: anything else means the log no longer holds the range, and the room resets
     * (members are told {@code recovered: false}) rather than skip it silently.
     */
    public void filled(int answered, Iterable<RoomMessage> messages, long to) {
        if (state != State.FILLING || answered != token) {
            return;
        }
        for (RoomMessage message : messages) {
            if (message.seq() <= delivered) {
                continue;
            }
            if (message.seq() != delivered + 1) {
                break;
            }
            deliver(message);
        }
        if (delivered < to) {
            reset();
            return;
        }
        state = State.LIVE;
        drain();
    }

    /** A fill could not be read at all (Redis kept failing): the range counts as lost. */
    public void fillFailed(int answered) {
        if (state == State.FILLING && answered == token) {
            reset();
        }
    }

    /**
     * A periodic position check: the room's head in Redis. A head beyond what was delivered, seen on
     * two checks in a row, means the tail was lost (one sighting may just be a message still in flight).
     */
    public void head(long head) {
        if (state != State.LIVE) {
            return;
        }
        long target = suspectedHead;
        suspectedHead = head > delivered ? head : -1;
        if (target > delivered) {
            fill(delivered + 1, target);
        }
    }

    /**
     * The subscriber re-subscribed after a drop; {@code head} was read after Redis confirmed it. A head
     * behind what had been delivered before the read started means Redis lost the stream; otherwise
     * everything up to the head was published and some of it may have been missed.
     */
    public void resubscribed(long head, long deliveredBeforeReading) {
        headsAsked = Math.max(0, headsAsked - 1);
        if (state == State.STARTING) {
            return;
        }
        if (deliveredBeforeReading >= 0 && head < deliveredBeforeReading) {
            reset();
            return;
        }
        knownHead = Math.max(knownHead, head);
        if (state == State.LIVE) {
            drain();
        }
    }

    /** Redis lost the room's stream: drop what belongs to the old one and wait for the new start. */
    public void reset() {
        headsAsked = 0;
        state = State.RESETTING;
        token++;
        held.clear();
        suspectedHead = -1;
        knownHead = -1;
        effects.readPosition(token);
    }

    /**
     * The position after a reset: {@code tellMembers} runs first (they restart from it with
     * {@code recovered: false}), then what was held beyond it is delivered. Returns false for a stale answer.
     */
    public boolean restartAt(int answered, long position, Runnable tellMembers) {
        if (state != State.RESETTING || answered != token) {
            return false;
        }
        delivered = position;
        state = State.LIVE;
        tellMembers.run();
        drain();
        return true;
    }

    private void hold(RoomMessage message) {
        held.add(message);
        if (held.size() > holdLimit) {
            held.poll();
        }
    }

    /** Delivers what was held, in order, until the next hole (then fills it) or until nothing is held. */
    private void drain() {
        while (!held.isEmpty()) {
            RoomMessage next = held.peek();
            if (next.seq() <= delivered) {
                held.poll();
            } else if (next.seq() == delivered + 1) {
                deliver(held.poll());
            } else {
                fill(delivered + 1, next.seq() - 1);
                return;
            }
        }
        if (knownHead > delivered) {
            fill(delivered + 1, knownHead);
        }
    }

    private void fill(long from, long to) {
        state = State.FILLING;
        token++;
        effects.fetch(token, from, Math.min(to, from + fetchLimit - 1));
    }

    private void deliver(RoomMessage message) {
        delivered = message.seq();
        effects.deliver(message);
    }
}
