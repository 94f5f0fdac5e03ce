package dev.chat.history.store;

import dev.chat.history.HistoryConfig;
import io.quarkus.logging.Log;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The reactive pool as Quarkus configures it, with sockets that give up on a silent peer: TCP keep-alive on, and a TCP
 * user timeout ({@code chat.database-tcp-user-timeout}) after which a connection with unacknowledged data is closed.
 * Quarkus's datasource settings offer neither. Hibernate Reactive writes through this pool too.
 *
 * <p>The pool connects with the credentials read at start: Quarkus's own pool asks a {@code
 * quarkus.datasource.credentials-provider} for them at each new connection, so that rotated credentials keep working.
 * With a credentials provider set, start-up says so in the log.
 */
@Singleton
public class DatabaseSockets implements PgPoolCreator {

    private final HistoryConfig config;

    DatabaseSockets(HistoryConfig config) {
        this.config = config;
    }

    @Override
    public Pool create(Input input) {
        if (ConfigProvider.getConfig().getOptionalValue("quarkus.datasource.credentials-provider", String.class).isPresent()) {
            Log.warn("quarkus.datasource.credentials-provider is set, but the reactive pool (DatabaseSockets) connects with the"
                    + " credentials read at start: rotated credentials need a restart");
        }
        List<PgConnectOptions> servers = input.pgConnectOptionsList();
        int userTimeoutMs = (int) Math.min(Integer.MAX_VALUE, config.databaseTcpUserTimeout().toMillis());
        servers.forEach(server -> server.setTcpKeepAlive(true).setTcpUserTimeout(userTimeoutMs));
        // Several servers (a comma-separated URL) take turns, as in Quarkus's own pool.
        AtomicInteger next = new AtomicInteger();
        Supplier<Future<SqlConnectOptions>> inTurn = () -> Future.succeededFuture(servers.get(Math.floorMod(next.getAndIncrement(), servers.size())));
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(inTurn).using(input.vertx()).build();
    }
}
