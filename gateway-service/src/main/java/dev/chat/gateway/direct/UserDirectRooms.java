package dev.chat.gateway.direct;

import dev.chat.gateway.room.RoomSequencer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One connected user's direct-message rooms in seq order on this gateway, in bounded memory. At most {@code ordered}
 * rooms keep a {@link RoomSequencer}; past it the least recently active settled one is set aside with only its last
 * delivered seq, from which its next message picks it up. At most {@code remembered} such seqs are kept; past it the
 * oldest is forgotten (see {@link #forgotSome}). Confined to
 * the subscriber's context.
 */
final class UserDirectRooms {

    private final int ordered;
    private final int remembered;
    /** In order of last use, least recent first. */
    private final LinkedHashMap<String, RoomSequencer> orders = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, Long> setAside = new LinkedHashMap<>(16, 0.75f, true);
    private boolean forgotSome;

    UserDirectRooms(int ordered, int remembered) {
        this.ordered = ordered;
        this.remembered = remembered;
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

    /**
     * Adds a room's order, then sets aside the least recently active settled ones while there are too many. A room
     * still starting or filling is kept until it settles and a later add sets it aside.
     */
    void add(String room, RoomSequencer order) {
        orders.put(room, order);
        for (Iterator<Map.Entry<String, RoomSequencer>> it = orders.entrySet().iterator(); orders.size() > ordered && it.hasNext(); ) {
            Map.Entry<String, RoomSequencer> eldest = it.next();
            if (eldest.getValue() != order && eldest.getValue().isSettled()) {
                it.remove();
                setAside(eldest.getKey(), eldest.getValue().delivered());
            }
        }
    }

    /** The last delivered seq of a set-aside room, taken back to start its new order there; null if not set aside. */
    Long takeSetAside(String room) {
        return setAside.remove(room);
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
        setAside.put(room, delivered);
        if (setAside.size() > remembered) {
            Iterator<String> eldest = setAside.keySet().iterator();
            eldest.next();
            eldest.remove();
            forgotSome = true;
        }
    }
}
