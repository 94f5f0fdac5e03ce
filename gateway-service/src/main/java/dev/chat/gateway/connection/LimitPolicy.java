package dev.chat.gateway.connection;

import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.presence.PresenceQueryBudgets;
import dev.chat.gateway.protocol.ClientFrame;
import dev.chat.gateway.protocol.ErrorCode;
import dev.chat.gateway.protocol.FrameRejected;
import jakarta.inject.Singleton;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The abuse limits: a rate per connection for every frame type, a message rate per user, rooms per
 * connection. A refusal is a {@code rate_limited} error decided before any Redis work; a connection
 * whose frames keep being refused (for any reason) is closed with 1008.
 */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class LimitPolicy {

    private static final String[] TOO_MANY = {
        "too many messages; slow down", "too many joins; slow down", "too many leaves; slow down",
        "too many typing frames; slow down", "too many read markers; slow down", "too many presence queries; slow down",
        "too many pings; slow down"};

    private final GatewayConfig.Limits limits;
    private final GatewayMetrics metrics;
    private final PresenceQueryBudgets presenceQueries;
    private final double[] rates = new double[FrameRate.values().length];
    private final int[] bursts = new int[FrameRate.values().length];
    private final ConcurrentHashMap<String, TokenBucket> userBuckets = new ConcurrentHashMap<>();

    public LimitPolicy(GatewayConfig config, GatewayMetrics metrics, PresenceQueryBudgets presenceQueries) {
        this.limits = config.limits();
        this.metrics = metrics;
        this.presenceQueries = presenceQueries;
        rate(FrameRate.SEND, limits.messagesPerSecond(), limits.messageBurst());
        rate(FrameRate.JOIN, limits.joinsPerSecond(), limits.joinBurst());
        rate(FrameRate.LEAVE, limits.leavesPerSecond(), limits.leaveBurst());
        rate(FrameRate.TYPING, limits.typingPerSecond(), limits.typingBurst());
        rate(FrameRate.READ, limits.readsPerSecond(), limits.readBurst());
        rate(FrameRate.PRESENCE, limits.presencePerSecond(), limits.presenceBurst());
        rate(FrameRate.PING, limits.pingsPerSecond(), limits.pingBurst());
    }

    private void rate(FrameRate kind, double perSecond, int burst) {
        rates[kind.ordinal()] = perSecond;
        bursts[kind.ordinal()] = burst;
    }

    /**
     * Refuses the frame with {@code rate_limited} if its type's budget on this connection is spent (and, for send and
     * presence, the user's).
     */
    void checkRate(ChatSession session, ClientFrame frame) {
        FrameRate kind = FrameRate.of(frame);
        int i = kind.ordinal();
        if (!session.tryTake(kind, rates[i], bursts[i])) {
            throw refused(TOO_MANY[i], frame.cid());
        }
        if (kind == FrameRate.SEND) {
            TokenBucket user = userBudget(session);
            if (user != null && !user.tryTake()) {
                throw refused(TOO_MANY[i], frame.cid());
            }
        } else if (kind == FrameRate.PRESENCE && !presenceQueries.tryTake(session.user())) {
            throw refused("too many presence queries for this user; slow down", frame.cid());
        }
    }

    /**
     * The user's message budget. A send that waited behind a frame while its connection closed still goes out (it is the
     * client's data), but once the user's last connection here is gone it neither recreates a budget that nothing would
     * forget any more nor is held by one: such sends are bounded by the closed connection's queue and its own rate.
     */
    private TokenBucket userBudget(ChatSession session) {
        if (session.hasLeft()) {
            return userBuckets.get(session.user());
        }
        return userBuckets.computeIfAbsent(session.user(),
                u -> new TokenBucket(limits.userMessagesPerSecond(), limits.userMessageBurst()));
    }

    /** Whether a message budget of {@code user} is remembered here (one per user with a connection here, at most). */
    public boolean remembersBudgetOf(String user) {
        return userBuckets.containsKey(user);
    }

    /**
     * A WebSocket ping or pong from the client ({@link ControlFrames}): both spend the connection's ping budget, as a
     * {@code ping} frame does. Past it the frame is not answered and counts as a refusal toward the abuse close; there is
     * no {@code error} to send about a control frame.
     */
    boolean admitControlFrame(ChatSession session) {
        int i = FrameRate.PING.ordinal();
        if (session.tryTake(FrameRate.PING, rates[i], bursts[i])) {
            return true;
        }
        refusal(session, ErrorCode.RATE_LIMITED);
        return false;
    }

    /** Longest a fragmented message may take, in milliseconds (ControlFrames). */
    long fragmentedMessageMillis() {
        return limits.fragmentedMessageTimeout().toMillis();
    }

    void checkRooms(ChatSession session, String room, String cid) {
        if (!session.hasJoined(room) && session.roomCount() >= limits.roomsPerConnection()) {
            throw refused("at most " + limits.roomsPerConnection() + " rooms per connection", cid);
        }
    }

    /**
     * Counts a refused frame (of any kind) against the connection; closes it with 1008 once the refusals
     * within a minute reach the abuse threshold.
     */
    void refusal(ChatSession session, ErrorCode code) {
        if (code == ErrorCode.RATE_LIMITED) {
            metrics.rateLimited();
        }
        if (session.strike(limits.abuseThreshold())) {
            session.closeForAbuse();
        }
    }

    /** Forgets the per-user state once a user has no connection left here. */
    void forget(String user) {
        userBuckets.remove(user);
    }

    private static FrameRejected refused(String message, String cid) {
        return new FrameRejected(ErrorCode.RATE_LIMITED, message, cid);
    }
}
