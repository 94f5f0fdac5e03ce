package dev.chat.history.store;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Reads and writes of stored messages. Paging is keyset on the (room, seq) primary key, never OFFSET. */
@ApplicationScoped
public class MessageRepository implements PanacheRepositoryBase<StoredMessage, StoredMessage.Key> {

    /** Up to {@code limit} messages with {@code seq > after}, ascending. */
    @WithSession
    public Uni<List<StoredMessage>> after(String room, long after, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq > ?2 order by m.seq asc", room, after, limit);
    }

    /** Up to {@code limit} messages just below {@code before}, descending (newest first). */
    @WithSession
    public Uni<List<StoredMessage>> before(String room, long before, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq < ?2 order by m.seq desc", room, before, limit);
    }

    /** The latest {@code limit} messages, descending (newest first). */
    @WithSession
    public Uni<List<StoredMessage>> latest(String room, int limit) {
        return page("from StoredMessage m where m.room = ?1 and m.seq > ?2 order by m.seq desc", room, 0L, limit);
    }

    /** Whether any message of the room is stored. */
    @WithSession
    public Uni<Boolean> hasRoom(String room) {
        return getSession().chain(session -> session
                .createSelectionQuery("select m.seq from StoredMessage m where m.room = ?1", Long.class)
                .setParameter(1, room)
                .setMaxResults(1)
                .getResultList())
                .map(found -> !found.isEmpty());
    }

    // Keyset paging: the position is in the WHERE clause and only a row limit follows (no OFFSET),
    // so every page is an index range scan on the (room, seq) primary key.
    private Uni<List<StoredMessage>> page(String query, String room, long position, int limit) {
        return getSession().chain(session -> session.createSelectionQuery(query, StoredMessage.class)
                .setParameter(1, room)
                .setParameter(2, position)
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

    /** Rooms after {@code afterRoom} (exclusive, "" for the first page) in name order, with their highest seq. */
    @WithSession
    public Uni<List<RoomMax>> roomMaxima(String afterRoom, int limit) {
        return getSession().chain(session -> session
                .createSelectionQuery("select m.room, max(m.seq) from StoredMessage m where m.room > ?1 group by m.room order by m.room",
                        Object[].class)
                .setParameter(1, afterRoom)
                .setMaxResults(limit)
                .getResultList())
                .map(rows -> {
                    List<RoomMax> maxima = new ArrayList<>(rows.size());
                    for (Object[] row : rows) {
                        maxima.add(new RoomMax((String) row[0], ((Number) row[1]).longValue()));
                    }
                    return maxima;
                });
    }

    /**
     * Inserts the messages in one statement, skipping any (room, seq) already stored, so a message
     * received twice (live and from the recent log, or by two history instances) is kept once.
     * Returns the keys that were new.
     */
    @WithTransaction
    public Uni<List<StoredMessage.Key>> insertAll(List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            return Uni.createFrom().item(Collections.emptyList());
        }
        StringBuilder sql = new StringBuilder("insert into messages (room, seq, sender, text, ts, cid) values ");
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                sql.append(", ");
            }
            // The casts give PostgreSQL a type for a null cid.
            sql.append("(cast(:r").append(i).append(" as text), cast(:s").append(i).append(" as bigint), cast(:f").append(i)
                    .append(" as text), cast(:t").append(i).append(" as text), cast(:ts").append(i).append(" as bigint), cast(:c")
                    .append(i).append(" as text))");
        }
        sql.append(" on conflict (room, seq) do nothing returning room, seq");
        return getSession().chain(session -> {
            var query = session.createNativeQuery(sql.toString(), Object[].class);
            for (int i = 0; i < messages.size(); i++) {
                ChatMessage m = messages.get(i);
                query.setParameter("r" + i, m.room())
                        .setParameter("s" + i, m.seq())
                        .setParameter("f" + i, m.from())
                        .setParameter("t" + i, m.text())
                        .setParameter("ts" + i, m.ts())
                        .setParameter("c" + i, m.cid());
            }
            return query.getResultList();
        }).map(rows -> {
            List<StoredMessage.Key> inserted = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                inserted.add(new StoredMessage.Key((String) row[0], ((Number) row[1]).longValue()));
            }
            return inserted;
        });
    }
}
