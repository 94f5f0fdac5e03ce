package dev.chat.history.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;

/** A row of {@code messages} (created by Flyway's V1 migration): one stored chat message, keyed by (room, seq). */
@Entity
@Table(name = "messages")
@IdClass(StoredMessage.Key.class)
public class StoredMessage {

    @Id
    public String room;

    @Id
    public long seq;

    @Column(name = "sender", nullable = false)
    public String sender;

    @Column(nullable = false)
    public String text;

    /** Epoch milliseconds, as assigned by the gateway's publish script. */
    @Column(nullable = false)
    public long ts;

    public String cid;

    /** The composite primary key (room, seq). */
    public static class Key implements Serializable {

        public String room;
        public long seq;

        public Key() {
        }

        public Key(String room, long seq) {
            this.room = room;
            this.seq = seq;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && seq == key.seq && Objects.equals(room, key.room);
        }

        @Override
        public int hashCode() {
            return Objects.hash(room, seq);
        }
    }
}
