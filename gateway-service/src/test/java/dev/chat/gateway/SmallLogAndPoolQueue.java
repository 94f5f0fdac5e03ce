package dev.chat.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Two classes' settings in one test profile, as each profile costs the module a build of the application (about 6 s):
 * a small recent log for {@link PublishScriptTest} (its retention rules at work within seconds) and a Redis pool wait
 * queue of 10 for {@link PositionCheckTest} (position checks that overflow it). Neither class's tests come near the
 * other's limits: PublishScriptTest sends one command at a time, and PositionCheckTest's rooms hold a message or two.
 */
public class SmallLogAndPoolQueue implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("chat.log.min-entries", "20", "chat.log.min-age", "4s", "chat.log.trim-interval", "8",
                "chat.log.max-entries", "100000",
                "quarkus.redis.max-pool-waiting", "10", "chat.limits.joins-per-second", "1000", "chat.limits.join-burst", "1000");
    }
}
