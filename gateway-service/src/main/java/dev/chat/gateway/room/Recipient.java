package dev.chat.gateway.room;

/** Where a room delivers: one client connection, written to with frames that are already encoded. */
public interface Recipient {

    /** Writes an encoded frame; never blocks, never throws (a recipient that cannot keep up closes itself). */
    void send(String frame);
}
