package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a Redis Cluster everything a send script touches or publishes on lives in the room's slot; on a
 * standalone Redis the names stay those every deployed gateway and history replica already use.
 */
class RedisLayoutTest {

    @Test
    void standaloneKeepsTheSingleRedisNames() {
        RedisLayout layout = RedisLayout.STANDALONE;
        assertEquals("PUBLISH", layout.publishCommand());
        assertEquals("chat:room:dm:alice:bob", layout.roomChannel("dm:alice:bob"));
        assertEquals("chat:user:alice", layout.userChannel("alice"));
        assertEquals("chat:generation", layout.generation("general"));
        assertEquals("", layout.historyChannel("general"));
        assertEquals("dm:alice:bob", layout.roomOfChannel("chat:room:dm:alice:bob"));
    }

    @Test
    void onAClusterARoomsChannelMarkerAndSlotChannelShareItsKeysSlot() {
        RedisLayout layout = RedisLayout.CLUSTER;
        assertEquals("SPUBLISH", layout.publishCommand());
        for (String room : List.of("general", "dm:alice:bob", "a.b-c_d:e", "x")) {
            int slot = KeySlots.slot(RoomKeys.seq(room));
            assertEquals(slot, KeySlots.slot(layout.roomChannel(room)), room);
            assertEquals(slot, KeySlots.slot(layout.generation(room)), room);
            assertEquals(slot, KeySlots.slot(layout.historyChannel(room)), room);
            assertEquals(slot, KeySlots.slot(RoomKeys.idempotency(room, "alice", "c1")), room);
            assertEquals(room, layout.roomOfChannel(layout.roomChannel(room)));
        }
        assertEquals(KeySlots.slot(RoomKeys.online("alice")), KeySlots.slot(layout.userChannel("alice")));
        assertEquals("alice", layout.userOfChannel("chat:user:{alice}"));
        assertNull(layout.roomOfChannel("chat:user:{alice}"));
        assertNull(layout.userOfChannel("chat:room:{general}"));
    }

    @Test
    void historyHoldsOneChannelPerSlotAndEachSitsInItsSlot() {
        List<String> channels = RedisLayout.slotChannels();
        assertEquals(KeySlots.SLOTS, new HashSet<>(channels).size());
        for (int slot = 0; slot < KeySlots.SLOTS; slot++) {
            assertEquals(slot, KeySlots.slot(channels.get(slot)));
            assertEquals(slot, KeySlots.slot(RedisLayout.generationOfSlot(slot)));
        }
    }

    @Test
    void slotsAreComputedAsRedisDoes() {
        // The examples of the CLUSTER KEYSLOT documentation.
        assertEquals(11058, KeySlots.slot("somekey"));
        assertEquals(2515, KeySlots.slot("foo{hash_tag}"));
        assertEquals(KeySlots.slot("hash_tag"), KeySlots.slot("foo{hash_tag}"));
    }
}
