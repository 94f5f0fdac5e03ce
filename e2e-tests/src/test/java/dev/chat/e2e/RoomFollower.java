package dev.chat.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A client that follows one room across disconnects the way PROTOCOL.md asks a client to: it joins
 * with {@code since} (the last seq it got) and the room's {@code epoch}, loads the gap from the history
 * API when a {@code joined} says {@code recovered: false}, and resends what was not acknowledged with
 * the same {@code cid}. It records every message it got, in the order it got them, so a test can
 * compare that with 1..N. Message texts are their cids. One thread drives it at a time.
 */
final class RoomFollower implements AutoCloseable {

    private static final long RESEND_BACKOFF_MS = 100;
    private static final long HISTORY_WAIT_MS = 20_000;

    final String user;
    final String room;
    private final ServiceProcess history;

    /** The seq of every message got (live, replayed or loaded from history), in the order it was got. */
    final List<Long> seqs = new ArrayList<>();
    /** The text (= cid) of every message got, by seq. */
    final Map<Long, String> texts = new HashMap<>();
    private long last;
    private String epoch;
    private WsClient client;
    private int joinCount;

    int connects;
    /** {@code joined} frames with {@code recovered: false} (answers to a join and unsolicited ones). */
    int notRecovered;
    /** Times this client saw the room's epoch change and reloaded the room from history (see {@link #notRecovered}). */
    int epochChanges;
    /** Messages loaded from the history API. */
    int fromHistory;
    /** Seqs a {@code recovered: false} gap announced that the history API never had. */
    final List<Long> missingInHistory = new ArrayList<>();
    boolean sawReconnect;
    /** The close code of every connection that the server ended (-1: without a close frame). */
    final List<Integer> closeCodes = new ArrayList<>();
    /** Error frames other than {@code unavailable} for a send. */
    final List<String> errors = new ArrayList<>();

    private final Deque<String> outbox = new ArrayDeque<>();
    /** Sent on the current connection and not answered yet; back to the outbox if the connection goes. */
    private final LinkedHashSet<String> unanswered = new LinkedHashSet<>();
    /** The seq of every acknowledged cid (the first ack). */
    final Map<String, Long> acks = new LinkedHashMap<>();
    /** Acks for a cid whose seq differs from its first ack. */
    final List<String> ackConflicts = new ArrayList<>();
    /** Sends refused with {@code unavailable}. */
    int unavailable;
    int resends;
    private int window = 1;
    private long sendEveryMillis;
    private long nextSend;
    private final Set<String> everSent = new HashSet<>();
    /** Where {@link #pumpAll} reconnects this client. */
    private Supplier<String> home;

    RoomFollower(String user, String room, ServiceProcess history) {
        this.user = user;
        this.room = room;
        this.history = history;
    }

    /** Makes this client a sender of the given cids, at most {@code window} unanswered at once, one every {@code everyMillis}. */
    RoomFollower sending(List<String> cids, int window, long everyMillis) {
        outbox.addAll(cids);
        this.window = window;
        this.sendEveryMillis = everyMillis;
        return this;
    }

    /** Sets the gateway(s) {@link #pumpAll} connects this client to. */
    RoomFollower via(Supplier<String> gateways) {
        this.home = gateways;
        return this;
    }

    long last() {
        return last;
    }

    String epoch() {
        return epoch;
    }

    boolean isConnected() {
        return client != null;
    }

    /** Everything it was given to send is acknowledged. */
    boolean doneSending() {
        return outbox.isEmpty() && unanswered.isEmpty();
    }

    /**
     * Connects to the gateway and joins the room from where this client stands (since = the last seq
     * it got, with the epoch it knows). False if the gateway cannot be reached or refused the join.
     */
    boolean connect(String gateway) {
        drop(false);
        WsClient connection;
        try {
            connection = WsClient.connect(user, gateway);
        } catch (RuntimeException | AssertionError unreachable) {
            return false;
        }
        String cid = "join-" + (++joinCount);
        ObjectNode join = WsClient.frame("join").put("room", room).put("since", last).put("cid", cid);
        if (epoch != null) {
            join.put("epoch", epoch);
        }
        ObjectNode reply;
        try {
            connection.send(join);
            reply = connection.next(f -> cid.equals(f.path("cid").asText()));
        } catch (RuntimeException | AssertionError failed) {
            connection.abort();
            return false;
        }
        if (!"joined".equals(reply.path("type").asText())) {
            if (!"unavailable".equals(reply.path("code").asText())) {
                errors.add(reply.toString());
            }
            connection.close();
            return false;
        }
        client = connection;
        connects++;
        if (reply.path("recovered").isBoolean() && !reply.path("recovered").asBoolean()) {
            notRecovered(reply);
        } else {
            epoch = reply.path("epoch").asText();
        }
        return true;
    }

    /** Connects to one of the gateways the supplier names, retrying until it succeeds or the time is up. */
    void connectWithin(Supplier<String> gateways, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (!connect(gateways.get())) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(user + " could not join " + room + " within " + millis + " ms");
            }
            pause(100);
        }
    }

    /** Reads (and sends, if a sender) for up to {@code millis}; false as soon as the server ended the connection. */
    boolean pump(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (client != null) {
            if (!maybeSend()) {
                return false;
            }
            long now = System.currentTimeMillis();
            if (now >= deadline) {
                return true;
            }
            long wait = Math.min(deadline - now, 50);
            if (!outbox.isEmpty() && unanswered.size() < window) {
                wait = Math.max(1, Math.min(wait, nextSend - now));
            }
            ObjectNode frame = client.poll(wait);
            if (frame != null) {
                handle(frame);
            } else if (client.closed().isDone()) {
                lost();
                return false;
            }
        }
        return false;
    }

    /** Pumps until the condition holds (true) or the time is up (false); reconnects through the supplier when the connection is gone. */
    boolean pumpUntil(BooleanSupplier condition, Supplier<String> gateways, long millis) {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            if (client == null) {
                connectWithin(gateways, left);
            }
            pump(Math.min(left, 100));
        }
        return true;
    }

    /**
     * Drives the clients in turns from the calling thread until the condition holds (true) or the time
     * is up (false), running {@code everyRound} between turns; a client without a connection tries
     * once per turn to connect through its {@link #via} gateways.
     */
    static boolean pumpAll(List<RoomFollower> followers, BooleanSupplier until, long millis, Runnable everyRound) {
        long deadline = System.currentTimeMillis() + millis;
        while (!until.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            everyRound.run();
            for (RoomFollower follower : followers) {
                if (follower.client != null || follower.connect(follower.home.get())) {
                    follower.pump(5);
                }
            }
        }
        return true;
    }

    /** Ends the connection: with a close handshake, or abruptly as a network failure would. Unanswered sends go back to the outbox. */
    void drop(boolean abrupt) {
        if (client == null) {
            return;
        }
        if (abrupt) {
            client.abort();
        } else {
            try {
                client.close();
            } catch (RuntimeException alreadyGone) {
                client.abort();
            }
        }
        client = null;
        List<String> back = new ArrayList<>(unanswered);
        for (int i = back.size() - 1; i >= 0; i--) {
            outbox.addFirst(back.get(i));
        }
        unanswered.clear();
    }

    @Override
    public void close() {
        drop(false);
    }

    /** Sends the next {@code count} messages at once, window and pace aside, so that they are in flight at a moment the test picks. */
    void burst(int count) {
        for (int i = 0; i < count && !outbox.isEmpty() && client != null; i++) {
            sendNext();
        }
    }

    private boolean maybeSend() {
        long now = System.currentTimeMillis();
        while (!outbox.isEmpty() && unanswered.size() < window && now >= nextSend) {
            if (!sendNext()) {
                return false;
            }
            nextSend = now + sendEveryMillis;
        }
        return true;
    }

    private boolean sendNext() {
        String cid = outbox.poll();
        try {
            client.send(WsClient.frame("send").put("room", room).put("text", cid).put("cid", cid));
        } catch (RuntimeException broken) {
            outbox.addFirst(cid);
            lost();
            return false;
        }
        if (!everSent.add(cid)) {
            resends++;
        }
        unanswered.add(cid);
        return true;
    }

    /** The server ended the connection (or it broke): handles what arrived before, notes the close code, lets it go. */
    private void lost() {
        WsClient connection = client;
        for (ObjectNode rest = connection.poll(0); rest != null; rest = connection.poll(0)) {
            handle(rest);
        }
        // A send can fail a moment before the close frame is read; -1: no close frame at all.
        closeCodes.add(connection.closed().completeOnTimeout(-1, 1, TimeUnit.SECONDS).join());
        for (ObjectNode rest = connection.poll(0); rest != null; rest = connection.poll(0)) {
            handle(rest);
        }
        drop(true);
    }

    private void handle(ObjectNode frame) {
        switch (frame.path("type").asText()) {
            case "message" -> {
                if (room.equals(frame.path("room").asText())) {
                    got(frame.path("seq").asLong(), frame.path("text").asText());
                }
            }
            case "joined" -> {
                // Unsolicited: Redis lost the room, or a gap left the recent log; load it from history.
                if (frame.path("recovered").isBoolean() && !frame.path("recovered").asBoolean()) {
                    notRecovered(frame);
                }
            }
            case "ack" -> {
                String cid = frame.path("cid").asText();
                unanswered.remove(cid);
                long seq = frame.path("seq").asLong();
                Long first = acks.putIfAbsent(cid, seq);
                if (first != null && first != seq) {
                    ackConflicts.add(cid + ": " + first + " then " + seq);
                }
            }
            case "error" -> {
                String cid = frame.path("cid").asText(null);
                if (cid != null && unanswered.remove(cid) && "unavailable".equals(frame.path("code").asText())) {
                    unavailable++;
                    outbox.addFirst(cid);
                    nextSend = System.currentTimeMillis() + RESEND_BACKOFF_MS;
                } else {
                    errors.add(frame.toString());
                }
            }
            case "reconnect" -> sawReconnect = true;
            default -> {
                // presence, typing, pong: not this test's business
            }
        }
    }

    /**
     * A {@code joined} with {@code recovered: false}: loads the gap up to its seq from history. If the
     * epoch changed, Redis lost data: messages this client got may have been lost before history
     * stored them and their seqs given to others, and nothing says which; so it replaces its view of
     * the room with history's, as a careful client would.
     */
    private void notRecovered(ObjectNode joined) {
        notRecovered++;
        String newEpoch = joined.path("epoch").asText();
        if (epoch != null && !epoch.equals(newEpoch)) {
            epochChanges++;
            seqs.clear();
            texts.clear();
            last = 0;
        }
        epoch = newEpoch;
        loadFromHistory(joined.path("seq").asLong());
    }

    private void got(long seq, String text) {
        seqs.add(seq);
        texts.putIfAbsent(seq, text);
        last = Math.max(last, seq);
    }

    /** Loads {@code (last, upTo]} from the history API, waiting for history to store it; what history never gets is noted and skipped. */
    private void loadFromHistory(long upTo) {
        long deadline = System.currentTimeMillis() + HISTORY_WAIT_MS;
        while (last < upTo) {
            List<JsonNode> stored;
            try {
                stored = HistoryApi.after(history, room, last, 500, user);
            } catch (RuntimeException historyDown) {
                stored = List.of();
            }
            for (JsonNode message : stored) {
                long seq = message.path("seq").asLong();
                if (seq > upTo) {
                    break;
                }
                fromHistory++;
                got(seq, message.path("text").asText());
            }
            if (last >= upTo) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                for (long seq = last + 1; seq <= upTo; seq++) {
                    missingInHistory.add(seq);
                }
                last = upTo;
                return;
            }
            pause(100);
        }
    }

    /** Fails unless this client got exactly the expected seqs, each once, in this order. */
    void assertGot(List<Long> expected) {
        if (!missingInHistory.isEmpty()) {
            throw new AssertionError(user + " was told to load " + missingInHistory + " from history, which never had them");
        }
        if (seqs.equals(expected)) {
            return;
        }
        int i = 0;
        while (i < seqs.size() && i < expected.size() && seqs.get(i).equals(expected.get(i))) {
            i++;
        }
        Set<Long> missing = new TreeSet<>(expected);
        missing.removeAll(seqs);
        Set<Long> seen = new HashSet<>();
        Set<Long> duplicates = new TreeSet<>();
        for (Long seq : seqs) {
            if (!seen.add(seq)) {
                duplicates.add(seq);
            }
        }
        throw new AssertionError(user + " got " + seqs.size() + " messages of " + room + ", expected " + expected.size()
                + "; first difference at index " + i + " (got " + window(seqs, i) + ", expected " + window(expected, i) + ")"
                + "; missing " + abbreviate(missing) + "; duplicates " + abbreviate(duplicates)
                + "; connects " + connects + ", recovered:false " + notRecovered + ", from history " + fromHistory);
    }

    /** 1..n */
    static List<Long> oneTo(long n) {
        List<Long> all = new ArrayList<>();
        for (long seq = 1; seq <= n; seq++) {
            all.add(seq);
        }
        return all;
    }

    private static List<Long> window(List<Long> list, int at) {
        return list.subList(Math.max(0, at - 2), Math.min(list.size(), at + 3));
    }

    private static String abbreviate(Set<Long> set) {
        List<Long> list = new ArrayList<>(set);
        return list.size() <= 20 ? list.toString() : list.subList(0, 20) + "... (" + list.size() + ")";
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
