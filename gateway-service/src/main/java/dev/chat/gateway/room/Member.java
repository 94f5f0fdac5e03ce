package dev.chat.gateway.room;

import dev.chat.gateway.protocol.PresenceMode;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One connection's membership of one room. Until it is live it writes {@code joined}, then the gap
 * (replayed from the recent log in bounded chunks, each written only once the previous one reached the
 * socket), then what the room delivered meanwhile: no gap, no duplicate, bounded memory whatever the
 * gap. Everything but {@link #deliverEphemeral} runs on the connection's event loop ({@link #loop()}).
 */
public final class Member {

    /** What a member needs from its room to catch up: the recent log and how to say "reload from history". */
    interface CatchUp {
        /** Reads up to {@code count} messages {@code from..to} from the room's log; answers on any thread. */
        io.vertx.core.Future<List<RoomMessage>> read(String room, long from, long to, int count);

        /** The unsolicited {@code joined} ({@code recovered: false}) for a range the log no longer holds. */
        String lost(String room, long seq, String epoch);

        /** Messages per chunk, and the most live messages kept while catching up. */
        int chunk();

        /** The room's current epoch (for a {@link #lost} frame of a membership that never got its own), or null. */
        io.vertx.core.Future<String> epoch(String room);
    }

    private final String room;
    private final Recipient recipient;
    // Confined to the connection's event loop. Live messages held while catching up; a live member holds no queue
    // (about 100 bytes less for each member of every room).
    private ArrayDeque<RoomMessage> pending;
    private CatchUp catchUp;
    private boolean started;
    private boolean stopped;
    private boolean busy;
    private int generation;
    private long lastSeq;
    private long target;
    private String epoch;
    /**
     * Of a direct-message room, null until needed (an array, not four fields: every member of every room would carry
     * them): {@link #FIRST_PASSED} and {@link #LAST_PASSED}, the seqs the user's channel passed over because this
     * membership was to write them; until this membership writes its {@code joined}, {@link #INHERITED_WRITTEN} and
     * {@link #INHERITED_BROUGHT}, what the client had and the channel had brought before it (a membership of the same
     * connection it replaced, or a handover it cut short); {@link #RESTARTED_AT}, where the user's channel restarted the
     * room while this membership had not written its {@code joined} (the client was not told). -1: none.
     */
    private long[] direct;
    private static final int FIRST_PASSED = 0;
    private static final int LAST_PASSED = 1;
    private static final int INHERITED_WRITTEN = 2;
    private static final int INHERITED_BROUGHT = 3;
    private static final int RESTARTED_AT = 4;
    /** Written by the loop, read by ephemeral delivery from the room's thread. */
    private volatile boolean live;
    /**
     * The client has its {@code joined}, so the room's ephemeral frames (presence, typing) reach it, also while it catches
     * up: they carry no seq, and one dropped then (a presence.leave) would leave the client's view wrong until it asked
     * again. Written by the loop, read from the room's thread.
     */
    private volatile boolean joinedWritten;

    private final PresenceMode presence;

    /** {@code presence}: the presence frames the client asked for on {@code join}. */
    public Member(String room, Recipient recipient, PresenceMode presence) {
        this.room = room;
        this.recipient = recipient;
        this.presence = presence;
    }

    public String room() {
        return room;
    }

    public Recipient recipient() {
        return recipient;
    }

    void attach(CatchUp catchUp) {
        this.catchUp = catchUp;
    }

    /** Runs a task on the connection's event loop (at once if already there). */
    void onLoop(Runnable task) {
        recipient.runOnLoop(task);
    }

    /** A live message of the room, in seq order (on the connection's event loop). */
    void deliver(RoomMessage message) {
        if (stopped) {
            return;
        }
        if (live) {
            if (message.seq() <= lastSeq) {
                return;
            }
            if (message.seq() == lastSeq + 1) {
                lastSeq = message.seq();
                recipient.send(message);
                return;
            }
            // The room started above this member's position: the messages between come from the log.
            live = false;
            pending().add(message);
            pump();
            return;
        }
        if (holdsPending() && message.seq() != pending.peekLast().seq() + 1) {
            pending.clear();
        }
        pending().add(message);
        if (catchUp != null && pending.size() > catchUp.chunk()) {
            // Bounded: the oldest is in the recent log and is read back from there.
            pending.poll();
        }
    }

    /** Delivers an ephemeral frame (typing, presence) once the client has its {@code joined}; never to {@code exceptUser}. */
    public void deliverEphemeral(RoomMessage message, String exceptUser) {
        if (joinedWritten && (exceptUser == null || !exceptUser.equals(recipient.user())) && presence.wants(message.type())) {
            recipient.send(message);
        }
    }

    /**
     * Completes the join (on the connection's event loop): writes {@code joined} and the first replayed
     * chunk, then catches up to {@code target} and what the room delivered meanwhile, and goes live.
     *
     * @param from the seq the client has (its {@code since} when the gap is replayed, else the room's seq)
     * @param target the seq to reach from the log before live messages (at least the {@code joined} seq)
     */
    void start(String joinedFrame, String epoch, long from, long target, List<RoomMessage> firstChunk) {
        if (stopped) {
            return;
        }
        this.epoch = epoch;
        started = true;
        lastSeq = from;
        this.target = target;
        recipient.send(joinedFrame);
        joinedWritten = true;
        write(firstChunk);
    }

    /**
     * The room's stream was reset or a gap could not be filled in-band: tells the client with a
     * {@code joined} frame ({@code recovered: false}: fetch up to its seq from history) and continues from there.
     */
    void restartAt(String joinedFrame, long position) {
        generation++;
        busy = false;
        pending = null;
        if (!started) {
            return;
        }
        recipient.send(joinedFrame);
        lastSeq = position;
        target = position;
        live = false;
        pump();
    }

    /**
     * The membership ended (a leave, a repeated join that replaces it, the connection's close): nothing more of the room
     * is written for it. A catch-up in progress stops here; its read or write in flight finds the generation moved on.
     * Without this, a replay went on after {@code left}, and beside the replay of a repeated join, out of order.
     */
    void stop() {
        if (!started && !stopped) {
            // What the client has of the room from here on (handOver): nothing, without its joined.
            lastSeq = -1;
        }
        stopped = true;
        generation++;
        started = false;
        busy = false;
        live = false;
        joinedWritten = false;
        pending = null;
    }

    /** A message of this direct-message room that the user's channel passed over, on the connection's event loop. */
    public void passedOver(long seq) {
        long[] track = direct();
        if (track[FIRST_PASSED] < 0) {
            track[FIRST_PASSED] = seq;
        }
        track[LAST_PASSED] = seq;
    }

    private long[] direct() {
        if (direct == null) {
            direct = new long[] {-1, -1, -1, -1, -1};
        }
        return direct;
    }

    /**
     * Once this membership of a direct-message room ended by a leave (on the connection's event loop): what the user's
     * channel must still write to the connection, and what it must not write again. Null when nothing is to be done: the
     * membership never wrote anything and the channel passed nothing over.
     */
    public DirectHandover handOver() {
        long written = clientHas();
        if (written < 0) {
            return null;
        }
        long restartedAt = direct == null ? -1 : direct[RESTARTED_AT];
        return new DirectHandover(room, recipient, catchUp, epoch, written, Math.max(written, channelBrought()), restartedAt);
    }

    /**
     * The user's channel restarted this direct-message room at {@code seq} (what it lost is for history to give) while the
     * connection is a member. Once joined the room's own order tells the client; before, a handover does if the join
     * fails. On the connection's event loop.
     */
    public void channelRestarted(long seq, String restartEpoch) {
        if (!started) {
            long[] track = direct();
            track[RESTARTED_AT] = Math.max(track[RESTARTED_AT], seq);
            epoch = restartEpoch;
        }
    }

    /**
     * This membership replaces {@code previous}, which has stopped, on the same connection (on its event loop): until this
     * one writes its {@code joined}, the client has what it had from the previous one.
     */
    public void takeOver(Member previous) {
        inherit(previous.clientHas(), previous.channelBrought(), previous.direct == null ? -1 : previous.direct[RESTARTED_AT], previous.epoch);
    }

    /**
     * Until this membership writes its {@code joined}, the client has up to {@code written}, the channel brought up to
     * {@code brought}, and the channel restarted the room at {@code restartedAt} without the client being told (-1: not).
     */
    public void inherit(long written, long brought, long restartedAt, String knownEpoch) {
        long[] track = direct();
        track[INHERITED_WRITTEN] = written;
        track[INHERITED_BROUGHT] = brought;
        track[RESTARTED_AT] = Math.max(track[RESTARTED_AT], restartedAt);
        if (epoch == null) {
            epoch = knownEpoch;
        }
    }

    /** The last seq of the room the client has from this membership or what it took over; -1 if unknown. On the loop. */
    private long clientHas() {
        if (lastSeq >= 0) {
            return lastSeq;
        }
        if (direct == null) {
            return -1;
        }
        return direct[INHERITED_WRITTEN] >= 0 ? direct[INHERITED_WRITTEN] : direct[FIRST_PASSED] >= 0 ? direct[FIRST_PASSED] - 1 : -1;
    }

    /** The last seq the user's channel brought for this membership or what it took over; -1 if none. */
    private long channelBrought() {
        return direct == null ? -1 : Math.max(direct[LAST_PASSED], direct[INHERITED_BROUGHT]);
    }

    /**
     * Writes a contiguous run after lastSeq, then continues once it reached the socket. As room messages, like live
     * delivery: a frame above the outbound bound by itself reaches a member catching up as it reaches a live one.
     */
    private void write(List<RoomMessage> messages) {
        RoomMessage last = null;
        for (RoomMessage message : messages) {
            if (message.seq() != lastSeq + 1) {
                continue;
            }
            if (last != null) {
                recipient.send(last);
            }
            last = message;
            lastSeq = message.seq();
        }
        if (last == null) {
            pump();
            return;
        }
        busy = true;
        int current = generation;
        recipient.send(last, () -> onLoop(() -> {
            if (current == generation) {
                busy = false;
                pump();
            }
        }));
    }

    /** The next step of catching up: what waited in order, else the next chunk from the log, else live. */
    private void pump() {
        if (busy || !started) {
            return;
        }
        while (holdsPending() && pending.peek().seq() <= lastSeq) {
            pending.poll();
        }
        if (holdsPending() && pending.peek().seq() == lastSeq + 1) {
            List<RoomMessage> run = List.copyOf(pending);
            pending = null;
            write(run);
            return;
        }
        long upTo = holdsPending() ? pending.peek().seq() - 1 : target;
        if (lastSeq >= upTo) {
            live = true;
            pending = null;
            return;
        }
        busy = true;
        int current = generation;
        long from = lastSeq + 1;
        catchUp.read(room, from, upTo, catchUp.chunk()).onComplete(read -> onLoop(() -> {
            if (current != generation) {
                return;
            }
            busy = false;
            if (read.succeeded() && !read.result().isEmpty() && read.result().get(0).seq() == from) {
                write(read.result());
            } else {
                // The log no longer holds the range (or Redis did not answer): history has it.
                recipient.send(catchUp.lost(room, upTo, epoch));
                lastSeq = upTo;
                pump();
            }
        }));
    }

    private boolean holdsPending() {
        return pending != null && !pending.isEmpty();
    }

    private ArrayDeque<RoomMessage> pending() {
        if (pending == null) {
            pending = new ArrayDeque<>();
        }
        return pending;
    }
}
