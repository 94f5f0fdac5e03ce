package dev.chat.gateway.connection;

import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Ends a connection with 1008 when the token it was opened with expires: a revoked session cannot linger. */
@ApplicationScoped
public class TokenExpiry {

    private final Vertx vertx;

    public TokenExpiry(Vertx vertx) {
        this.vertx = vertx;
    }

    void watch(ChatSession session, JsonWebToken token) {
        long delay = token.getExpirationTime() * 1000 - System.currentTimeMillis();
        session.expiryTimer(vertx.setTimer(Math.max(1, delay), id -> session.close(ChatSession.POLICY_VIOLATION, "token expired")));
    }

    void cancel(ChatSession session) {
        vertx.cancelTimer(session.expiryTimer());
    }
}
