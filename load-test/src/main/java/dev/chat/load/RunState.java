package dev.chat.load;

import dev.chat.load.measure.Counts;
import dev.chat.load.measure.DeliveryLedger;
import dev.chat.load.measure.Latency;
import dev.chat.load.wire.Wire;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What every client of a run shares: the protocol, the ledgers and counters, and the measurement window. */
final class RunState {

    final Wire wire;
    final String runTag;
    final String padding;
    final int messageSize;
    final DeliveryLedger ledger = new DeliveryLedger();
    final Latency latency = new Latency();
    final Latency ackLatency = new Latency();
    final Latency connectJoin = new Latency();
    final Counts refusals = new Counts();
    final Counts closes = new Counts();
    final Counts otherFrames = new Counts();
    final LongAdder allFrames = new LongAdder();
    final LongAdder foreignMessages = new LongAdder();
    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger joined = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicLong lastJoinNanos = new AtomicLong();
    final AtomicLong sends = new AtomicLong();
    /** Messages sent at or after this instant are measured; Long.MAX_VALUE until the warm-up ends. */
    volatile long measureFromNanos = Long.MAX_VALUE;

    RunState(Wire wire, String runTag, int messageSize) {
        this.wire = wire;
        this.runTag = runTag;
        this.messageSize = messageSize;
        this.padding = "x".repeat(messageSize);
    }

    /** The text of a message: run tag, send time (this JVM's nanoTime), padding up to the message size. */
    String text(long sentAtNanos) {
        String head = runTag + " " + sentAtNanos + " ";
        return head.length() >= messageSize ? head : head + padding.substring(0, messageSize - head.length());
    }

    /** The send time embedded by {@link #text}, or -1 when the text did not come from this run. */
    static long sentAt(String text, String runTag) {
        if (text == null || !text.startsWith(runTag) || text.length() <= runTag.length() + 1 || text.charAt(runTag.length()) != ' ') {
            return -1;
        }
        long v = 0;
        int i = runTag.length() + 1;
        int start = i;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                break;
            }
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return i == start ? -1 : v;
    }
}
