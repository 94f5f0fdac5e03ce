package dev.chat.history.ingest;

/**
 * CDI event fired when the subscriber connection holds its room pattern again: first at startup,
 * then after every reconnect ({@code reconnect}). Messages published while it was down were missed.
 */
public record Subscribed(boolean reconnect) {
}
