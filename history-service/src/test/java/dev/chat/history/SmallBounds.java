package dev.chat.history;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Production bounds made small enough for a test to reach them; one profile for several tests, so one start. */
public class SmallBounds implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                // A user's rooms, checked at every batch here (10 s apart by default).
                "chat.activity.rooms-per-user", "10", "chat.activity.trim-interval", "0S",
                // The REST API's reads: one running, one waiting, one per user; 16 MiB of answers unread, more than one
                // page of the largest messages (12 MB) and less than two.
                "chat.api.concurrent-queries", "1", "chat.api.queued-queries", "1", "chat.api.queries-per-user", "1",
                "chat.api.unflushed-bytes", "16M");
    }
}
