package dev.chat.history.store;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Reads of stored messages and rooms. Paging is keyset on the (room, seq) primary key, never OFFSET, and never goes past
 * the room's contiguously stored position, so a page never has a hole that is filled later. Ingest writes through
 * {@link MessageWriter}.
 */
@ApplicationScoped
public class MessageRepository implements PanacheRepositoryBase<StoredMessage, StoredMessage.Key> {

    /** Up to {@code limit} messages with {@code after < seq <= storedThrough}, ascending. */
    @WithSession
    public Uni<List<StoredMessage>> after(String room, long after, long storedThrough, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq > ?2 and m.seq <= ?3 order by m.seq asc", room, after,
                storedThrough, limit);
    }

    /** Up to {@code limit} messages just below {@code before} (and not past {@code storedThrough}), descending (newest first). */
    @WithSession
    public Uni<List<StoredMessage>> before(String room, long before, long storedThrough, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq < ?2 and m.seq <= ?3 order by m.seq desc", room, before,
                storedThrough, limit);
    }

    /** The latest {@code limit} messages up to {@code storedThrough}, descending (newest first). */
    @WithSession
    public Uni<List<StoredMessage>> latest(String room, long storedThrough, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq > ?2 and m.seq <= ?3 order by m.seq desc", room, 0L,
                storedThrough, limit);
    }

    /** The room's row, or null when nothing of it was ever stored. */
    @WithSession
    public Uni<StoredRoom> room(String room) {
        return getSession().chain(session -> session.find(StoredRoom.class, room));
    }

    // Keyset paging: the position is in the WHERE clause and only a row limit follows (no OFFSET),
    // so every page is an index range scan on the (room, seq) primary key.
    private Uni<List<StoredMessage>> page(String query, String room, long position, long storedThrough, int limit) {
        return getSession().chain(session -> session.createSelectionQuery(query, StoredMessage.class)
                .setParameter(1, room)
                .setParameter(2, position)
                .setParameter(3, storedThrough)
                .setMaxResults(limit)
                .getResultList());
    }

    /** The highest stored seq of a room, or 0 if none. */
    @WithSession
    public Uni<Long> maxSeq(String room) {
        return getSession().chain(session -> session
                .createSelectionQuery("select coalesce(max(m.seq), 0) from StoredMessage m where m.room = ?1", Long.class)
                .setParameter(1, room)
                .getSingleResult());
    }

    /**
     * Rooms after {@code afterRoom} (exclusive, "" for the first page) in name order, with their highest seq: one row of
     * {@code rooms} per room, however many messages it holds.
     */
    @WithSession
    public Uni<List<RoomMax>> roomMaxima(String afterRoom, int limit) {
        return getSession().chain(session -> session
                .createSelectionQuery("from StoredRoom r where r.room > ?1 order by r.room", StoredRoom.class)
                .setParameter(1, afterRoom)
                .setMaxResults(limit)
                .getResultList())
                .map(rows -> rows.stream().map(r -> new RoomMax(r.room, r.lastSeq)).toList());
    }
}
