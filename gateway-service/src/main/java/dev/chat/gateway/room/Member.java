package dev.chat.gateway.room;

import java.util.ArrayList;
import java.util.List;

/**
 * One connection's membership of one room. Until its join completes it buffers live messages, so
 * the client gets {@code joined}, then the replayed gap, then live messages: no gap, no duplicate.
 */
public final class Member {

    private final String room;
    private final Recipient recipient;
    private List<RoomMessage> buffer = new ArrayList<>();
    private long lastSeq;

    private final boolean presenceDiff;

    public Member(String room, Recipient recipient) {
        this(room, recipient, false);
    }

    /** {@code presenceDiff}: the client takes presence.diff frames instead of presence.join/leave and unsolicited lists. */
    public Member(String room, Recipient recipient, boolean presenceDiff) {
        this.room = room;
        this.recipient = recipient;
        this.presenceDiff = presenceDiff;
    }

    public String room() {
        return room;
    }

    public Recipient recipient() {
        return recipient;
    }

    /** Delivers a live message, in seq order, at most once. */
    public synchronized void deliver(RoomMessage message) {
        if (buffer != null) {
            buffer.add(message);
        } else if (message.seq() > lastSeq) {
            lastSeq = message.seq();
            recipient.send(message.frame());
        }
    }

    /** Delivers an ephemeral frame (typing, presence) if the member is live; never to {@code exceptUser}. */
    public synchronized void deliverEphemeral(RoomMessage message, String exceptUser) {
        if (buffer == null && (exceptUser == null || !exceptUser.equals(recipient.user())) && wants(message.type())) {
            recipient.send(message.frame());
        }
    }

    /** Each presence change is published in both forms (presence-update.lua); a member takes the one it asked for. */
    private boolean wants(String type) {
        if ("presence.diff".equals(type)) {
            return presenceDiff;
        }
        if ("presence.join".equals(type) || "presence.leave".equals(type) || "presence".equals(type)) {
            return !presenceDiff;
        }
        return true;
    }

    /**
     * The room's stream was reset or a gap could not be filled in-band: tells the client with a
     * {@code joined} frame ({@code recovered: false}: fetch up to its seq from history) and continues from there.
     */
    public synchronized void restartAt(String joinedFrame, long position) {
        if (buffer != null) {
            return;
        }
        recipient.send(joinedFrame);
        lastSeq = position;
    }

    /**
     * Completes the join: writes the {@code joined} frame and the replayed messages, then every
     * buffered live message after them, and from then on delivers live.
     *
     * @param position the seq the client is now at, once the replay is written
     */
    public synchronized void start(String joinedFrame, List<RoomMessage> replay, long position) {
        recipient.send(joinedFrame);
        for (RoomMessage message : replay) {
            recipient.send(message.frame());
        }
        lastSeq = position;
        List<RoomMessage> pending = buffer;
        buffer = null;
        for (RoomMessage message : pending) {
            deliver(message);
        }
    }
}
