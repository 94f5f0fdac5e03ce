package dev.chat.history.store;

import io.quarkus.flyway.FlywayConfigurationCustomizer;
import jakarta.inject.Singleton;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * Lets migrations build indexes CONCURRENTLY. Flyway runs a script holding only CREATE INDEX CONCURRENTLY outside a
 * transaction by itself, but by default it holds its migration lock in a transaction of its own, and a concurrent index
 * build waits for every open transaction to end: it would wait forever. A session-level advisory lock does not.
 */
@Singleton
public class FlywayLocking implements FlywayConfigurationCustomizer {

    @Override
    public void customize(FluentConfiguration configuration) {
        configuration.getPluginRegister().getPlugin(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    }
}
