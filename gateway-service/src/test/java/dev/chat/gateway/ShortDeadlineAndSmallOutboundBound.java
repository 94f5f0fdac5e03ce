package dev.chat.gateway;

import dev.chat.common.testing.ConfigUnion;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Two classes' settings in one test profile, as each profile costs the module a build and a start of the application:
 * {@link AnswerDeadlineTest}'s 1 s answer deadline and {@link FrameAboveTheOutboundBoundTest}'s 4 KiB outbound bound.
 * Neither needs the other's setting: the deadline test's frames are a few dozen bytes, read as they come. Its pause of
 * Redis may outlast it, so the bound test's joins can finish after its message arrives, which then reaches the members
 * from the room's log: the same bound rules that path (the bound test checks it on its own too). Kept apart from
 * {@link IndependentSettings}, where InboundBackpressureTest's pause of Redis would meet the deadline.
 */
public class ShortDeadlineAndSmallOutboundBound implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return ConfigUnion.of(new AnswerDeadlineTest.ShortDeadline().getConfigOverrides(),
                new FrameAboveTheOutboundBoundTest.SmallOutboundBound().getConfigOverrides());
    }
}
