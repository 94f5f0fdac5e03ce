package dev.chat.gateway.direct;

import dev.chat.gateway.room.RoomSequencer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * One connected user's direct-message rooms in seq order on this gateway, in bounded memory. At most {@code ordered}
 * rooms keep a {@link RoomSequencer}; past it the least recently active settled one is set aside with only its last
 * delivered seq, from which its next message picks it up. At most {@code remembered} such seqs are kept; past it the
 * oldest is forgotten (see {@link #forgotSome}). Confined to
 * the subscriber's context.
 */
final class UserDirectRooms {

    /** What all users' rooms hold on this gateway, for the metrics: rooms with an order, and set-aside ones. */
    record Totals(AtomicInteger ordered, AtomicInteger setAside) {
        Totals() {
            this(new AtomicInteger(), new AtomicInteger());
        }
    }

    private final int ordered;
    private final int remembered;
    private final Totals totals;
    /** In order of last use, least recent first. */
    private final LinkedHashMap<String, RoomSequencer> orders = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, Long> setAside = new LinkedHashMap<>(16, 0.75f, true);
    private boolean forgotSome;

    UserDirectRooms(int ordered, int remembered, Totals totals) {
        this.ordered = ordered;
        this.remembered = remembered;
        this.totals = totals;
    }

    /** The user left this gateway: what their rooms held leaves the totals. */
    void release() {
        totals.ordered().addAndGet(-orders.size());
        totals.setAside().addAndGet(-setAside.size());
        orders.clear();
        setAside.clear();
    }

    /** The room's order, marked as just used; null if it has none (new, set aside or forgotten). */
    RoomSequencer order(String room) {
        return orders.get(room);
    }

    /** Whether {@code order} is still the room's (an answer for a replaced one is stale). */
    boolean holds(String room, RoomSequencer order) {
        return orders.get(room) == order;
    }

    boolean contains(String room) {
        return orders.containsKey(room) || setAside.containsKey(room);
    }

    /** Adds a room's order, then {@link #trim}s the others. */
    void add(String room, RoomSequencer order) {
        if (orders.put(room, order) == null) {
            totals.ordered().incrementAndGet();
        }
        trim(order);
    }

    /**
     * Sets aside the least recently active settled rooms while there are too many. A room still starting, filling or
     * waiting for its head is kept: the owner trims again once an answer may have settled it.
     */
    void trim() {
        trim(null);
    }

    private void trim(RoomSequencer keep) {
        for (Iterator<Map.Entry<String, RoomSequencer>> it = orders.entrySet().iterator(); orders.size() > ordered && it.hasNext(); ) {
            Map.Entry<String, RoomSequencer> eldest = it.next();
            if (eldest.getValue() != keep && eldest.getValue().isSettled()) {
                it.remove();
                totals.ordered().decrementAndGet();
                setAside(eldest.getKey(), eldest.getValue().delivered());
            }
        }
    }

    /** The last delivered seq of a set-aside room, taken back to start its new order there; null if not set aside. */
    Long takeSetAside(String room) {
        Long delivered = setAside.remove(room);
        if (delivered != null) {
            totals.setAside().decrementAndGet();
        }
        return delivered;
    }

    /** Whether a set-aside room was forgotten: from then on a room without an order may be one that delivered before. */
    boolean forgotSome() {
        return forgotSome;
    }

    /** Every room with an order, and its order. */
    void forEachOrder(BiConsumer<String, RoomSequencer> action) {
        orders.forEach(action);
    }

    int orderCount() {
        return orders.size();
    }

    int setAsideCount() {
        return setAside.size();
    }

    private void setAside(String room, long delivered) {
        if (setAside.put(room, delivered) == null) {
            totals.setAside().incrementAndGet();
        }
        if (setAside.size() > remembered) {
            Iterator<String> eldest = setAside.keySet().iterator();
            eldest.next();
            eldest.remove();
            totals.setAside().decrementAndGet();
            forgotSome = true;
        }
    }
}
