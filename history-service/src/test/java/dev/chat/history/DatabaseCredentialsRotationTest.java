package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.chat.common.testing.KernelSockets;
import io.quarkus.arc.Unremovable;
import io.quarkus.credentials.CredentialsProvider;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * With a credentials provider (Vault, a rotated secret), the history service's reactive pool asks it for each new
 * connection, as Quarkus's own pool does: rotated credentials reach PostgreSQL without a restart.
 */
@QuarkusTest
@TestProfile(DatabaseCredentialsRotationTest.Rotation.class)
class DatabaseCredentialsRotationTest {

    static final String ROTATED = "chat_rotated";

    public static class Rotation implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // Connections are replaced after a second, busy or not, so the test's queries soon meet a new one.
            return Map.of("quarkus.datasource.credentials-provider", "database",
                    "quarkus.datasource.credentials-provider-name", "rotating-credentials",
                    "quarkus.datasource.reactive.max-lifetime", "1S");
        }
    }

    /** The provider's current user; PostgreSQL here trusts local connections, so the password is not checked. */
    @ApplicationScoped
    @Named("rotating-credentials")
    @Unremovable
    public static class RotatingCredentials implements CredentialsProvider {
        static volatile String user = "postgres";

        @Override
        public Map<String, String> getCredentials(String name) {
            return Map.of(USER_PROPERTY_NAME, user, PASSWORD_PROPERTY_NAME, "rotated-" + user);
        }
    }

    @Inject
    Pool pool;

    /** Back to the machine's user, then the rotated role goes, with its grants: the test leaves no login behind. */
    @AfterEach
    void restore() {
        RotatingCredentials.user = "postgres";
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> "postgres".equals(currentUser()));
        pool.query("DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROTATED + "') THEN DROP OWNED BY " + ROTATED
                + "; DROP ROLE " + ROTATED + "; END IF; END $$").execute().await().atMost(Duration.ofSeconds(10));
    }

    @Test
    void connectionsOpenedAfterARotationUseTheNewCredentials() {
        assertEquals("postgres", currentUser());
        pool.query("DO $$ BEGIN CREATE ROLE " + ROTATED + " LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
                .execute().await().atMost(Duration.ofSeconds(10));
        // The service's own work goes on with the new user meanwhile.
        pool.query("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + ROTATED).execute().await().atMost(Duration.ofSeconds(10));
        pool.query("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO " + ROTATED).execute().await().atMost(Duration.ofSeconds(10));

        RotatingCredentials.user = ROTATED;

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> ROTATED.equals(currentUser()));
        // Connected with the provider's credentials, the sockets keep their keep-alive (DatabaseSocketsTest).
        for (KernelSockets.Connection connection : KernelSockets.establishedTo(5432)) {
            assertNotEquals(KernelSockets.NO_TIMER, connection.timer(), "no keep-alive on " + connection);
        }
    }

    String currentUser() {
        return pool.query("SELECT current_user").execute().await().atMost(Duration.ofSeconds(10)).iterator().next().getString(0);
    }
}
