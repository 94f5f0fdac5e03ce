package dev.chat.history.store;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row of {@code rooms} (Flyway's V3 migration): what ingest has stored of one room, kept in the same statement as its messages. */
@Entity
@Table(name = "rooms")
public class StoredRoom {

    @Id
    public String room;

    /** The highest seq stored. */
    @Column(name = "last_seq", nullable = false)
    public long lastSeq;

    /** Every seq up to here is stored or known lost: the replay API never pages past it. */
    @Column(name = "stored_seq", nullable = false)
    public long storedSeq;

    /** The last stored message's time, epoch milliseconds. */
    @Column(name = "last_ts", nullable = false)
    public long lastTs;
}
