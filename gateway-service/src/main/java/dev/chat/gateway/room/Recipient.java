package dev.chat.gateway.room;

/** Where a room delivers: one client connection, written to with frames that are already encoded. */
public interface Recipient {

    /** The authenticated user behind the connection. */
    String user();

    /** Whether this connection has joined the room (then it gets the room's messages as a member). */
    boolean hasJoined(String room);

    /** Writes an encoded frame; never blocks, never throws (a recipient that cannot keep up closes itself). */
    void send(String frame);
}
