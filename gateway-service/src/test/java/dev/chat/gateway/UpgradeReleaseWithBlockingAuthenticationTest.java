package dev.chat.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/**
 * The same with blocking token verification (what a JWKS URL turns on): the token is verified on a worker thread,
 * and the upgrade must still go on from its event loop and be released before Vert.x creates the WebSocket there.
 */
@QuarkusTest
@TestProfile(UpgradeReleaseWithBlockingAuthenticationTest.BlockingAuthentication.class)
class UpgradeReleaseWithBlockingAuthenticationTest extends UpgradeReleaseTest {

    public static class BlockingAuthentication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.smallrye-jwt.blocking-authentication", "true");
        }
    }
}
