package dev.chat.gateway.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which of a room's frames a member takes, by the presence it asked for on join. */
class PresenceModeTest {

    static final List<String> EVENT_FRAMES = List.of("presence.join", "presence.leave", "presence");
    static final List<String> OTHER_FRAMES = List.of("message", "typing");

    @Test
    void eventsTakeSingleChangesAndUnsolicitedListsButNoDiffs() {
        EVENT_FRAMES.forEach(type -> assertTrue(PresenceMode.EVENTS.wants(type), type));
        assertFalse(PresenceMode.EVENTS.wants("presence.diff"));
    }

    @Test
    void diffTakesOnlyDiffs() {
        assertTrue(PresenceMode.DIFF.wants("presence.diff"));
        EVENT_FRAMES.forEach(type -> assertFalse(PresenceMode.DIFF.wants(type), type));
    }

    @Test
    void noneTakesNoPresenceFrameAtAll() {
        EVENT_FRAMES.forEach(type -> assertFalse(PresenceMode.NONE.wants(type), type));
        assertFalse(PresenceMode.NONE.wants("presence.diff"));
    }

    @Test
    void aListAfterAReconnectReachesEveryMemberThatTakesPresenceFrames() {
        assertTrue(PresenceMode.EVENTS.wants(PresenceMode.LIST_AFTER_RECONNECT));
        assertTrue(PresenceMode.DIFF.wants(PresenceMode.LIST_AFTER_RECONNECT));
        assertFalse(PresenceMode.NONE.wants(PresenceMode.LIST_AFTER_RECONNECT));
    }

    @Test
    void everyModeTakesWhatIsNotPresence() {
        for (PresenceMode mode : PresenceMode.values()) {
            OTHER_FRAMES.forEach(type -> assertTrue(mode.wants(type), mode + " " + type));
        }
    }

    @Test
    void clientsNameTheModesInLowerCaseOnly() {
        assertEquals(PresenceMode.EVENTS, PresenceMode.named("events"));
        assertEquals(PresenceMode.DIFF, PresenceMode.named("diff"));
        assertEquals(PresenceMode.NONE, PresenceMode.named("none"));
        assertNull(PresenceMode.named("NONE"));
        assertNull(PresenceMode.named(""));
    }
}
