package dev.chat.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/**
 * The same with blocking token verification (what a JWKS URL turns on): the token is verified on a worker thread,
 * and the upgrade must still go on from its event loop and be released before Vert.x creates the WebSocket there.
 * <p>
 * A worker thread the pool starts for a verification keeps that task, and through it the upgrade's request, reachable
 * until the thread ends (jboss-threads holds a thread's first task in its body's frame), which is not the connection
 * holding it: idle workers end here after 1 s instead of 30 s, well inside the 20 s the test waits for the release.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class UpgradeReleaseWithBlockingAuthenticationTest extends UpgradeReleaseTest {

    public static class BlockingAuthentication implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.smallrye-jwt.blocking-authentication", "true", "quarkus.thread-pool.keep-alive-time", "1s");
        }
    }
}
