package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.gateway.auth.ConnectionUser;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.websockets.next.HttpUpgradeCheck.CheckResult;
import io.quarkus.websockets.next.HttpUpgradeCheck.HttpUpgradeContext;
import io.quarkus.websockets.next.UserData;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The upgrade hands its connection user over, and nothing else gets a connection. */
class UpgradeIdentityTest {

    private final UpgradeIdentity check = new UpgradeIdentity();

    @Test
    void anUpgradeProvedForAConnectionUserIsPermittedAndHandsTheUserOver() {
        ConnectionUser dave = new ConnectionUser("dave", Set.of(), 1_700_000_000_000L);
        Upgrade upgrade = new Upgrade(dave);
        CheckResult result = check.perform(upgrade).await().indefinitely();
        assertTrue(result.isUpgradePermitted());
        assertSame(dave, upgrade.userData().get(UpgradeIdentity.USER));
    }

    @Test
    void anAnonymousOrForeignIdentityIsRefusedWith401AndHandsNothingOver() {
        SecurityIdentity anonymous = QuarkusSecurityIdentity.builder().setAnonymous(true).build();
        SecurityIdentity foreign = QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal("dave")).build();
        for (SecurityIdentity identity : new SecurityIdentity[] { anonymous, foreign, null }) {
            Upgrade upgrade = new Upgrade(identity);
            CheckResult result = check.perform(upgrade).await().indefinitely();
            assertFalse(result.isUpgradePermitted());
            assertEquals(401, result.getHttpResponseCode());
            assertNull(upgrade.userData().get(UpgradeIdentity.USER));
        }
    }

    @Test
    void anUpgradeWithoutAnIdentityToAskIsRefusedWith401() {
        Upgrade upgrade = new Upgrade(null, new MapUserData(), false);
        CheckResult result = check.perform(upgrade).await().indefinitely();
        assertFalse(result.isUpgradePermitted());
        assertEquals(401, result.getHttpResponseCode());
    }

    /** An upgrade as the check sees it: its identity (or none to ask for) and the connection's user data. */
    private record Upgrade(SecurityIdentity identity, UserData userData, boolean asks) implements HttpUpgradeContext {

        Upgrade(SecurityIdentity identity) {
            this(identity, new MapUserData(), true);
        }

        @Override
        public Uni<SecurityIdentity> securityIdentity() {
            return asks ? Uni.createFrom().item(identity) : null;
        }

        @Override
        public String pathParam(String name) {
            return null;
        }

        @Override
        public HttpServerRequest httpRequest() {
            return null;
        }

        @Override
        public String endpointId() {
            return "chat";
        }
    }

    private static final class MapUserData implements UserData {

        private final Map<String, Object> values = new HashMap<>();

        @Override
        @SuppressWarnings("unchecked")
        public <V> V get(TypedKey<V> key) {
            return (V) values.get(key.value());
        }

        @Override
        @SuppressWarnings("unchecked")
        public <V> V put(TypedKey<V> key, V value) {
            return (V) values.put(key.value(), value);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <V> V remove(TypedKey<V> key) {
            return (V) values.remove(key.value());
        }

        @Override
        public int size() {
            return values.size();
        }

        @Override
        public void clear() {
            values.clear();
        }
    }
}
