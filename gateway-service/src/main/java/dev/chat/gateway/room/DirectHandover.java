package dev.chat.gateway.room;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A connection that leaves its own direct-message room goes back to receiving that room's messages through its user's
 * channel, and the two paths do not run in step: the channel may already have passed over messages (the membership
 * was to write them) that the membership had not written yet, or the membership may have written messages the channel
 * has yet to bring. The handover writes the first from the recent log and drops the second, so the client gets every
 * message once, in order. Confined to the connection's event loop. Memory stays bounded whatever arrives meanwhile:
 * what the channel brings while a read is under way is not kept, only its seq, and is read back from the log.
 */
public final class DirectHandover {

    /** How long a read from the log may take before the client is sent to history for what it was to bring. */
    static final long READ_TIMEOUT_MS = 10_000;

    private final String room;
    private final Recipient recipient;
    private final Member.CatchUp log;
    private String epoch;
    private final long createdNanos = System.nanoTime();
    /** The last seq the client has. */
    private long written;
    /** The last seq the channel has brought; above {@link #written}: to read from the log. */
    private long brought;
    private boolean reading;
    /** Reads started and finished (answered, or timed out): a late answer or timeout of an earlier read finds it moved on. */
    private int reads;
    private boolean cancelled;

    /** {@code restartedAt}: where the channel restarted the room without the client being told (-1: it did not). */
    DirectHandover(String room, Recipient recipient, Member.CatchUp log, String epoch, long written, long brought, long restartedAt) {
        this.room = room;
        this.recipient = recipient;
        this.log = log;
        this.epoch = epoch;
        if (restartedAt > written) {
            // What the channel lost up to there is history's: the client is told, as the channel told the others.
            recipient.send(log.lost(room, restartedAt, epoch));
            written = restartedAt;
        }
        this.written = written;
        this.brought = Math.max(written, brought);
        if (this.brought > written) {
            read();
        }
    }

    public String room() {
        return room;
    }

    /**
     * A message of the room from the user's channel, in seq order. True while the handover still decides what the client
     * gets; false once the channel has caught up with the client, and the message is the caller's to write (from then
     * on the handover is no longer needed).
     */
    public boolean offer(RoomMessage message) {
        if (cancelled) {
            return false;
        }
        long seq = message.seq();
        if (reading) {
            brought = Math.max(brought, seq);
            return true;
        }
        if (seq <= written) {
            return true;
        }
        if (seq == written + 1) {
            return false;
        }
        brought = seq;
        read();
        return true;
    }

    /**
     * The connection joined the room again: the new membership decides from what the client has and the channel brought
     * (given to it), and a read under way writes nothing.
     */
    public void cancelFor(Member next) {
        cancelled = true;
        next.inherit(written, brought, -1, epoch);
    }

    /** The channel restarted the room for the user (joined, recovered false, up to where it restarted): nothing more to write. */
    public void cancel() {
        cancelled = true;
    }

    /** Whether the handover has nothing left to write and has been around for {@code nanos}: it may be forgotten. */
    public boolean idleFor(long nanos) {
        return !reading && System.nanoTime() - createdNanos >= nanos;
    }

    private void read() {
        reading = true;
        long from = written + 1;
        long to = brought;
        int current = ++reads;
        var loop = recipient.eventLoop();
        if (loop != null) {
            // The channel's messages of the room wait for this read: one Redis never answers must not stop them for good.
            loop.schedule(() -> {
                if (!cancelled && reads == current) {
                    reads++;
                    lost(to);
                }
            }, READ_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        log.read(room, from, to, log.chunk()).onComplete(read -> recipient.runOnLoop(() -> {
            if (cancelled || reads != current) {
                return;
            }
            List<RoomMessage> messages = read.succeeded() ? read.result() : List.of();
            if (!messages.isEmpty() && messages.get(0).seq() == from) {
                reads++;
                for (RoomMessage message : messages) {
                    if (message.seq() == written + 1 && message.seq() <= to) {
                        recipient.send(message);
                        written = message.seq();
                    }
                }
                next();
            } else if (epoch == null) {
                // A membership that never got its joined knows no epoch: the frame telling the client to reload carries one.
                log.epoch(room).onComplete(epochRead -> recipient.runOnLoop(() -> {
                    if (reads == current) {
                        reads++;
                        epoch = epochRead.succeeded() ? epochRead.result() : null;
                        lost(to);
                    }
                }));
            } else {
                reads++;
                lost(to);
            }
        }));
    }

    /** The log no longer holds the messages up to {@code to} (or Redis did not answer): the client reloads them from history. */
    private void lost(long to) {
        if (cancelled) {
            return;
        }
        recipient.send(log.lost(room, to, epoch));
        written = to;
        next();
    }

    private void next() {
        if (written < brought) {
            read();
        } else {
            reading = false;
        }
    }

}
