package dev.chat.history.replay;

/** PostgreSQL could not answer a REST query (replay, unread); the client gets 503 and may retry. */
public class StoreUnavailable extends RuntimeException {

    public StoreUnavailable(Throwable cause) {
        super("history store unavailable", cause);
    }
}
