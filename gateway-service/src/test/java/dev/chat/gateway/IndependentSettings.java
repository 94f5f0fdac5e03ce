package dev.chat.gateway;

import dev.chat.common.testing.ConfigUnion;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Five classes' settings in one test profile, as each profile costs the module a build and a start of the application
 * (about 8 s): each class keeps its own profile class as the statement of what it needs, and runs under this union of
 * them. None reaches another's settings: {@link DirectRoomsBoundTest} alone opens direct rooms; the ping budget only
 * matters to {@link InboundBackpressureTest}, whose pause of Redis the others never meet (classes run one after another);
 * a faster heartbeat ({@link OnlineHeartbeatTest}), tokens verified on a worker thread
 * ({@link UpgradeReleaseWithBlockingAuthenticationTest}) and spans ({@link TracingTest}, which finds its own by room)
 * change no field that the others check. Two of them that set the same key differently fail
 * before any test (ConfigUnion).
 */
public class IndependentSettings implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return ConfigUnion.of(new DirectRoomsBoundTest.FewDirectRooms().getConfigOverrides(),
                new InboundBackpressureTest.GenerousRates().getConfigOverrides(),
                new OnlineHeartbeatTest.FastHeartbeat().getConfigOverrides(),
                new UpgradeReleaseWithBlockingAuthenticationTest.BlockingAuthentication().getConfigOverrides(),
                new TracingTest.TracingOn().getConfigOverrides());
    }
}
