package dev.chat.history;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;

/**
 * The ingest queue's other bound, in bytes: the same scenario as {@link IngestQueueFullTest} with a queue that takes
 * any number of messages but 8 KiB of them (about 30 of the scenario's): what it drops is read back from the recent
 * log the same way, and nothing is missing.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class IngestQueueBytesTest extends IngestQueueFullTest {

    public static class TinyQueueInBytes implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.ingest.max-pending-bytes", "8K");
        }
    }
}
