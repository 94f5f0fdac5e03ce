package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.protocol.ErrorCode;
import dev.chat.gateway.protocol.FrameRejected;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The abuse limits: message and join rates per connection, message rate per user, rooms per
 * connection. A refusal is a {@code rate_limited} error; a connection that keeps hitting the
 * limits is closed with 1008.
 */
@ApplicationScoped
public class LimitPolicy {

    private final GatewayConfig.Limits limits;
    private final GatewayMetrics metrics;
    private final ConcurrentHashMap<String, TokenBucket> userBuckets = new ConcurrentHashMap<>();

    public LimitPolicy(GatewayConfig config, GatewayMetrics metrics) {
        this.limits = config.limits();
        this.metrics = metrics;
    }

    TokenBucket messageBucket() {
        return new TokenBucket(limits.messagesPerSecond(), limits.messageBurst());
    }

    TokenBucket joinBucket() {
        return new TokenBucket(limits.joinsPerSecond(), limits.joinBurst());
    }

    void checkSend(ChatSession session, String cid) {
        TokenBucket user = userBuckets.computeIfAbsent(session.user(),
                u -> new TokenBucket(limits.userMessagesPerSecond(), limits.userMessageBurst()));
        if (!session.messages().tryTake() || !user.tryTake()) {
            refuse(session, "too many messages; slow down", cid);
        }
    }

    void checkJoin(ChatSession session, String room, String cid) {
        if (!session.joins().tryTake()) {
            refuse(session, "too many joins; slow down", cid);
        }
        if (!session.hasJoined(room) && session.roomCount() >= limits.roomsPerConnection()) {
            throw new FrameRejected(ErrorCode.RATE_LIMITED, "at most " + limits.roomsPerConnection() + " rooms per connection", cid);
        }
    }

    /** Forgets the per-user state once a user has no connection left here. */
    void forget(String user) {
        userBuckets.remove(user);
    }

    private void refuse(ChatSession session, String message, String cid) {
        metrics.rateLimited();
        if (session.strike(limits.abuseThreshold())) {
            session.closeForAbuse();
        }
        throw new FrameRejected(ErrorCode.RATE_LIMITED, message, cid);
    }
}
