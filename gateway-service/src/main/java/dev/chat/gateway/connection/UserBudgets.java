package dev.chat.gateway.connection;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per user that outlives the user's connections (a budget kept with a connection resets when a client
 * reconnects). Bounded: at most {@code maxUsers} are remembered; {@link #forgetRested} drops those whose bucket is full
 * again (nothing to remember), on a schedule and whenever the table is full; a new user is refused only while
 * {@code maxUsers} others are still spending.
 */
public final class UserBudgets {

    private final ConcurrentHashMap<String, TokenBucket> users = new ConcurrentHashMap<>();
    private final double perSecond;
    private final int burst;
    private final int maxUsers;

    public UserBudgets(double perSecond, int burst, int maxUsers) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.maxUsers = maxUsers;
    }

    /** Spends one of {@code user}'s tokens; false past the budget, or when the user is new and the table is full. */
    public boolean tryTake(String user) {
        TokenBucket bucket = users.get(user);
        if (bucket == null) {
            if (isFull()) {
                forgetRested();
                if (isFull()) {
                    return false;
                }
            }
            bucket = users.computeIfAbsent(user, u -> new TokenBucket(perSecond, burst));
        }
        return bucket.tryTake();
    }

    /** Whether {@code maxUsers} users are remembered. */
    public boolean isFull() {
        return users.size() >= maxUsers;
    }

    /** Forgets the users whose bucket is full again; call it every minute or so. */
    public void forgetRested() {
        users.values().removeIf(TokenBucket::isFull);
    }
}
