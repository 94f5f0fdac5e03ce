package dev.chat.gateway.publish;

/** The outcome of a publish: the message's seq and timestamp, and whether it was a resend of an earlier one. */
public record Accepted(String room, long seq, long ts, boolean duplicate) {
}
