package dev.chat.load.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The integrity accounting of a run: which sends were acked with which seq, which member received what,
 * and from that the lost, duplicated and out-of-order deliveries. A message counts as lost for a member
 * when it was acked, sent after the member's join completed, and never arrived by the end of the drain.
 */
public final class DeliveryLedger {

    /** A send waiting for its ack. */
    public record Pending(String room, long sentAtNanos) {
    }

    /** Final integrity figures. */
    public record Integrity(long expected, long delivered, long lost, long duplicated, long outOfOrder, long beforeJoin,
            long notJoined, long unacked, long ackedNotDelivered) {

        public boolean clean() {
            return lost == 0 && duplicated == 0 && outOfOrder == 0 && notJoined == 0;
        }
    }

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AckLog>> acks = new ConcurrentHashMap<>();
    private final Map<String, List<MemberLog>> members = new ConcurrentHashMap<>();
    private final LongAdder firstDeliveries = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder outOfOrder = new LongAdder();
    private final LongAdder beforeJoin = new LongAdder();
    private final LongAdder notJoined = new LongAdder();
    private final AtomicLong expectedSoFar = new AtomicLong();
    private final LongAdder acked = new LongAdder();

    public void sent(String cid, String room, long sentAtNanos) {
        pending.put(cid, new Pending(room, sentAtNanos));
    }

    /** Registers an ack; returns the pending send it answers, or null for an unknown or repeated cid. */
    public Pending acked(String cid, String room, String origin, long seq, long serverTs) {
        Pending p = cid == null ? null : pending.remove(cid);
        if (p == null || seq < 0) {
            return p;
        }
        AckLog log = acks.computeIfAbsent(p.room(), r -> new ConcurrentHashMap<>()).computeIfAbsent(origin, o -> new AckLog());
        if (log.add(seq, p.sentAtNanos(), serverTs)) {
            acked.increment();
            List<MemberLog> roomMembers = members.get(p.room());
            if (roomMembers != null) {
                expectedSoFar.addAndGet(roomMembers.size());
            }
        }
        return p;
    }

    /** A refusal (error frame) for a send: it is no longer pending. */
    public Pending refused(String cid) {
        return cid == null ? null : pending.remove(cid);
    }

    /** Registers a completed join and returns the member's log, to be passed to {@link #delivered}. */
    public MemberLog joined(String room, long joinedAtNanos, long joinedSeq) {
        MemberLog m = new MemberLog(room, joinedAtNanos, joinedSeq);
        members.computeIfAbsent(room, r -> java.util.Collections.synchronizedList(new ArrayList<>())).add(m);
        return m;
    }

    /**
     * One {@code message} frame for a member; {@code member} is null when the client never joined that room
     * (which is then a protocol violation, not a delivery). Returns true when it is a first delivery.
     */
    public boolean delivered(MemberLog member, String origin, long seq) {
        if (member == null) {
            notJoined.increment();
            return false;
        }
        switch (member.record(origin, seq)) {
            case FIRST -> {
                firstDeliveries.increment();
                return true;
            }
            case OUT_OF_ORDER -> {
                // Counted as delivered (it arrived) and as out of order (it arrived after a higher seq).
                firstDeliveries.increment();
                outOfOrder.increment();
                return true;
            }
            case DUPLICATE -> duplicates.increment();
            case BEFORE_JOIN -> beforeJoin.increment();
            default -> throw new IllegalStateException();
        }
        return false;
    }

    public int pendingCount() {
        return pending.size();
    }

    public long ackedCount() {
        return acked.sum();
    }

    public long firstDeliveries() {
        return firstDeliveries.sum();
    }

    /** Deliveries owed so far, counted at ack time from the room sizes (all joins precede the sends). */
    public long expectedSoFar() {
        return expectedSoFar.get();
    }

    public long problemsSoFar() {
        return duplicates.sum() + outOfOrder.sum() + notJoined.sum();
    }

    /** Newest acked seq of a room's stream (origin "" for our protocol). */
    public long maxAckedSeq(String room, String origin) {
        Map<String, AckLog> logs = acks.get(room);
        AckLog log = logs == null ? null : logs.get(origin);
        return log == null ? 0 : log.maxSeq();
    }

    /** Server timestamp of the oldest acked message above storedSeq in the room, or -1 when none. */
    public long oldestUnstoredTs(String room, String origin, long storedSeq) {
        Map<String, AckLog> logs = acks.get(room);
        AckLog log = logs == null ? null : logs.get(origin);
        return log == null ? -1 : log.oldestUnstoredTs(storedSeq);
    }

    public java.util.Set<String> ackedRooms() {
        return acks.keySet();
    }

    /** Walks every member against every acked message of its room: call once sending and draining are over. */
    public Integrity integrity() {
        long expected = 0;
        long lost = 0;
        long ackedNotDelivered = 0;
        for (Map.Entry<String, Map<String, AckLog>> room : acks.entrySet()) {
            List<MemberLog> roomMembers = members.getOrDefault(room.getKey(), List.of());
            List<MemberLog> copy;
            synchronized (roomMembers) {
                copy = new ArrayList<>(roomMembers);
            }
            for (Map.Entry<String, AckLog> stream : room.getValue().entrySet()) {
                String origin = stream.getKey();
                for (Map.Entry<Long, AckLog.Acked> msg : stream.getValue().snapshot().entrySet()) {
                    boolean reachedSomeone = false;
                    for (MemberLog m : copy) {
                        if (m.expects(origin, msg.getKey(), msg.getValue().sentAtNanos())) {
                            expected++;
                            if (m.received(origin, msg.getKey())) {
                                reachedSomeone = true;
                            } else {
                                lost++;
                            }
                        }
                    }
                    if (!reachedSomeone && !copy.isEmpty()) {
                        ackedNotDelivered++;
                    }
                }
            }
        }
        return new Integrity(expected, firstDeliveries.sum(), lost, duplicates.sum(), outOfOrder.sum(), beforeJoin.sum(),
                notJoined.sum(), pending.size(), ackedNotDelivered);
    }
}
