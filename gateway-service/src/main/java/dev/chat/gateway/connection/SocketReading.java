package dev.chat.gateway.connection;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Hands each connection's socket to its session so reading can pause while the client's frames wait
 * unhandled (TCP then pushes back on the client). websockets-next 3.34 has no such bound of its own: in
 * its serial mode it queues a connection's frames without limit (its ConcurrencyLimiter), and the
 * endpoint runs in its concurrent mode, ordering frames in the session instead.
 */
@ApplicationScoped
public class SocketReading implements HttpUpgradeCheck {

    private static final UserData.TypedKey<ConnectionBase> SOCKET = new UserData.TypedKey<>("chat.socket");

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        HttpConnection connection = context.httpRequest().connection();
        // HTTP/1.1 connections (the only ones that upgrade to WebSocket in Vert.x 4) are a ConnectionBase.
        if (connection instanceof ConnectionBase base) {
            context.userData().put(SOCKET, base);
        }
        return CheckResult.permitUpgrade();
    }

    /** The socket of a connection, taken out of its user data (the session keeps it); null if unknown. */
    static ConnectionBase take(UserData userData) {
        return userData.remove(SOCKET);
    }
}
