package dev.chat.gateway.protocol;

/** The error codes of PROTOCOL.md, in their wire spelling. */
public enum ErrorCode {
    BAD_REQUEST("bad_request"),
    FORBIDDEN("forbidden"),
    NOT_JOINED("not_joined"),
    TOO_LARGE("too_large"),
    RATE_LIMITED("rate_limited"),
    UNAVAILABLE("unavailable"),
    INTERNAL("internal");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
