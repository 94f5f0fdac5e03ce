package dev.chat.history.store;

import dev.chat.history.HistoryConfig;
import io.quarkus.credentials.CredentialsProvider;
import io.quarkus.credentials.runtime.CredentialsProviderFinder;
import io.quarkus.reactive.datasource.runtime.ConnectOptionsSupplier;
import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.core.Future;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The reactive pool as Quarkus configures it, with sockets that give up on a silent peer: TCP keep-alive on, and a TCP
 * user timeout ({@code chat.database-tcp-user-timeout}) after which a connection with unacknowledged data is closed.
 * Quarkus's datasource settings offer neither. Hibernate Reactive writes through this pool too.
 *
 * <p>Each new connection takes its credentials as Quarkus's own pool does: from the {@code
 * quarkus.datasource.credentials-provider} when one is set (rotated credentials keep working), else from the
 * configuration read at start.
 *
 * <p>Every statement is cached prepared, however long: the client's default leaves out SQL of 2,048 characters or more,
 * and ingest's batch statement is longer, so PostgreSQL parsed it again for every batch. Each execution is still planned
 * for its own parameters ({@code plan_cache_mode=force_custom_plan}): PostgreSQL's generic plan is made once, with the
 * table sizes of that moment, so a statement first run on a new, nearly empty database kept scanning the whole messages
 * table for every batch once it had grown (seen in the benchmark: twice PostgreSQL's CPU per message).
 */
@Singleton
public class DatabaseSockets implements PgPoolCreator {

    /**
     * Longer than any statement of ours or Hibernate Reactive's; all are fixed texts, and the cache's size (Quarkus's
     * default, 256 per connection) bounds what it holds.
     */
    static final int CACHED_SQL_LIMIT = 64 * 1024;

    private final HistoryConfig config;

    DatabaseSockets(HistoryConfig config) {
        this.config = config;
    }

    @Override
    public Pool create(Input input) {
        List<PgConnectOptions> servers = input.pgConnectOptionsList();
        int userTimeoutMs = (int) Math.min(Integer.MAX_VALUE, config.databaseTcpUserTimeout().toMillis());
        servers.forEach(server -> server.setPreparedStatementCacheSqlLimit(CACHED_SQL_LIMIT)
                .addProperty("plan_cache_mode", "force_custom_plan")
                .setTcpKeepAlive(true).setTcpUserTimeout(userTimeoutMs));
        Supplier<Future<PgConnectOptions>> options = connectOptions(servers);
        return PgBuilder.pool().with(input.poolOptions()).connectingTo(() -> options.get().map(SqlConnectOptions.class::cast))
                .using(input.vertx()).build();
    }

    /** Several servers (a comma-separated URL) take turns, as in Quarkus's own pool; so does its credentials provider. */
    private static Supplier<Future<PgConnectOptions>> connectOptions(List<PgConnectOptions> servers) {
        Config settings = ConfigProvider.getConfig();
        Optional<String> credentials = settings.getOptionalValue("quarkus.datasource.credentials-provider", String.class);
        if (credentials.isPresent()) {
            CredentialsProvider provider = CredentialsProviderFinder.find(
                    settings.getOptionalValue("quarkus.datasource.credentials-provider-name", String.class).orElse(null));
            return new ConnectOptionsSupplier<>(provider, credentials.get(), servers, PgConnectOptions::new);
        }
        AtomicInteger next = new AtomicInteger();
        return () -> Future.succeededFuture(servers.get(Math.floorMod(next.getAndIncrement(), servers.size())));
    }
}
