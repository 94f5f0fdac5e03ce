package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** After Redis lost its data, room counters come back from PostgreSQL, never lower than they were. */
@QuarkusTest
class ReseedTest {

    @Inject
    RedisDataSource redis;

    @Inject
    MessageWriter writer;

    @Test
    void lostCountersAreRestoredFromHistory() {
        Gateway gateway = new Gateway(redis);
        String lostRoom = Gateway.uniqueRoom("reseed-lost");
        String aheadRoom = Gateway.uniqueRoom("reseed-ahead");
        store(lostRoom, 7);
        store(aheadRoom, 3);
        redis.execute("SET", RoomKeys.epoch(lostRoom), "before-the-loss");
        redis.execute("SET", RoomKeys.seq(aheadRoom), "20");
        redis.execute("SET", RoomKeys.epoch(aheadRoom), "kept");

        // One command, so the reseeder never sees the marker gone while the counter is still there.
        // Only this test's keys and the shared marker: other rooms in this Redis belong to others.
        redis.execute("DEL", RoomKeys.seq(lostRoom), RoomKeys.GENERATION);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertEquals("7", gateway.get(RoomKeys.seq(lostRoom)));
            assertNotNull(gateway.get(RoomKeys.GENERATION));
        });
        assertNotEquals("before-the-loss", gateway.get(RoomKeys.epoch(lostRoom)));
        assertNotNull(gateway.get(RoomKeys.epoch(lostRoom)));
        assertEquals("7", gateway.get(RoomKeys.stored(lostRoom)));
        // A counter Redis still holds above the stored maximum is left alone.
        assertEquals("20", gateway.get(RoomKeys.seq(aheadRoom)));
        assertEquals("kept", gateway.get(RoomKeys.epoch(aheadRoom)));
        await().atMost(Duration.ofSeconds(30)).until(() -> "UP".equals(Management.given().get("/q/health/group/ingest").jsonPath()
                .getString("checks.find { it.name == 'reseed' }.status")));
    }

    private void store(String room, int count) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= count; seq++) {
            messages.add(new ChatMessage(room, seq, "alice", "message " + seq, Gateway.ts(seq), null));
        }
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(room, (long) count)))
                .await().atMost(Duration.ofSeconds(10));
    }
}
