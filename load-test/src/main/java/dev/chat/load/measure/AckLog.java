package dev.chat.load.measure;

import java.util.HashMap;
import java.util.Map;

/** The accepted messages of one stream: seq to send time and server timestamp; the reference for "lost". */
final class AckLog {

    record Acked(long sentAtNanos, long serverTs) {
    }

    private final Map<Long, Acked> bySeq = new HashMap<>();
    private long maxSeq;

    synchronized boolean add(long seq, long sentAtNanos, long serverTs) {
        maxSeq = Math.max(maxSeq, seq);
        return bySeq.putIfAbsent(seq, new Acked(sentAtNanos, serverTs)) == null;
    }

    synchronized Map<Long, Acked> snapshot() {
        return new HashMap<>(bySeq);
    }

    synchronized long maxSeq() {
        return maxSeq;
    }

    /** Server timestamp of the oldest acked message above {@code storedSeq}, or -1 when everything is stored. */
    synchronized long oldestUnstoredTs(long storedSeq) {
        long oldest = -1;
        for (Map.Entry<Long, Acked> e : bySeq.entrySet()) {
            if (e.getKey() > storedSeq && (oldest < 0 || e.getValue().serverTs() < oldest)) {
                oldest = e.getValue().serverTs();
            }
        }
        return oldest;
    }
}
