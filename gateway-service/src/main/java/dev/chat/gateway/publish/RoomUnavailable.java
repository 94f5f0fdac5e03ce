package dev.chat.gateway.publish;

/** Redis cannot accept or serve the room right now: it is unreachable, or lost its data and waits for a re-seed. */
public class RoomUnavailable extends RuntimeException {

    public RoomUnavailable(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
