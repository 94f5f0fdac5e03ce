package dev.chat.history;

import dev.chat.common.testing.ConfigUnion;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Four classes' settings in one test profile, as each profile costs the module a build and a start of the application
 * (about 8 s): each class keeps its own profile class as the statement of what it needs, and runs under this union of
 * them. None reaches another's settings: a queue of 8 KiB ({@link IngestQueueBytesTest}) is more than the few messages
 * of the others ever hold; the 2 s write timeout ({@link IngestFailureTest}) is far above what a write takes while
 * PostgreSQL answers; the hourly trim of 10 rooms per user ({@link RoomsPerUserTrimIntervalTest}) touches only
 * memberships, which the others do not read; spans ({@link TracingTest}, which finds its own by trace id) change no
 * row. Two of them that set the same key differently fail
 * before any test (ConfigUnion).
 */
public class IndependentSettings implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return ConfigUnion.of(new IngestQueueBytesTest.TinyQueueInBytes().getConfigOverrides(),
                new IngestFailureTest.ShortWriteTimeout().getConfigOverrides(),
                new RoomsPerUserTrimIntervalTest.HourlyTrim().getConfigOverrides(),
                new TracingTest.TracingOn().getConfigOverrides());
    }
}
