package dev.chat.common.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The key strings are a contract with every deployed gateway, history replica and Lua script: pinned here. */
class RoomKeysTest {

    @Test
    void roomKeysShareTheRoomsHashTag() {
        assertEquals("chat:{general}:seq", RoomKeys.seq("general"));
        assertEquals("chat:{general}:epoch", RoomKeys.epoch("general"));
        assertEquals("chat:{general}:log", RoomKeys.log("general"));
        assertEquals("chat:{general}:stored", RoomKeys.stored("general"));
        assertEquals("chat:{general}:lost", RoomKeys.lost("general"));
        assertEquals("chat:{general}:reseed", RoomKeys.reseedRequest("general"));
        assertEquals("chat:{general}:presence", RoomKeys.presence("general"));
        assertEquals("chat:{general}:presence-hold", RoomKeys.presenceHold("general"));
        assertEquals("chat:{general}:presence-unannounced", RoomKeys.presenceUnannounced("general"));
        assertEquals("chat:{general}:presence-nodes", RoomKeys.presenceNodes("general"));
        assertEquals("chat:{general}:idem:alice:c1", RoomKeys.idempotency("general", "alice", "c1"));
        assertEquals("chat:online:{alice}", RoomKeys.online("alice"));
        assertEquals("chat:lastseen:{alice}", RoomKeys.lastSeen("alice"));
        assertEquals("chat:generation", RoomKeys.GENERATION);
        assertEquals("chat:events", RoomKeys.EVENTS);
        assertEquals("chat:history:reseed-lock", RoomKeys.RESEED_LOCK);
    }

    @Test
    void channelsAndPatternsParseBack() {
        assertEquals("chat:room:dm:alice:bob", RoomKeys.channel("dm:alice:bob"));
        assertEquals("dm:alice:bob", RoomKeys.roomOfChannel(RoomKeys.channel("dm:alice:bob")));
        assertNull(RoomKeys.roomOfChannel(RoomKeys.userChannel("alice")));
        assertEquals("chat:user:alice", RoomKeys.userChannel("alice"));
        assertEquals("alice", RoomKeys.userOfChannel(RoomKeys.userChannel("alice")));
        assertNull(RoomKeys.userOfChannel(RoomKeys.channel("alice")));
        assertEquals("chat:room:*", RoomKeys.CHANNEL_PATTERN);
        assertEquals("chat:{*}:seq", RoomKeys.SEQ_PATTERN);
        assertEquals("general", RoomKeys.roomOfSeqKey(RoomKeys.seq("general")));
        assertNull(RoomKeys.roomOfSeqKey("chat:{}:seq"));
        assertNull(RoomKeys.roomOfSeqKey(RoomKeys.epoch("general")));
    }
}
