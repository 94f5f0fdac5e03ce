package dev.chat.gateway.connection;

import dev.chat.gateway.protocol.ClientFrame;

/** The client frame types that each have their own rate per connection, so no type is a free way to make the gateway work. */
enum FrameRate {
    SEND, JOIN, LEAVE, TYPING, READ, PRESENCE, PING;

    static FrameRate of(ClientFrame frame) {
        if (frame instanceof ClientFrame.Send) {
            return SEND;
        } else if (frame instanceof ClientFrame.Join) {
            return JOIN;
        } else if (frame instanceof ClientFrame.Leave) {
            return LEAVE;
        } else if (frame instanceof ClientFrame.Typing) {
            return TYPING;
        } else if (frame instanceof ClientFrame.Read) {
            return READ;
        } else if (frame instanceof ClientFrame.Presence) {
            return PRESENCE;
        }
        return PING;
    }
}
