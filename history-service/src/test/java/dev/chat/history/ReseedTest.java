package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.history.ingest.IngestWriter;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
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

    @Inject
    IngestWriter ingestWriter;

    @Inject
    Pool pool;

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

    @Test
    void theIdempotencyRecordsOfSendsWithinTheWindowComeBackBeforeTheCounter() {
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("reseed-idem");
        long now = System.currentTimeMillis();
        long recent = now - Duration.ofMinutes(1).toMillis();
        long bobs = now - Duration.ofSeconds(10).toMillis();
        write(room, List.of(
                new ChatMessage(room, 1, "alice", "sent before the window", now - Duration.ofMinutes(20).toMillis(), "c-old"),
                new ChatMessage(room, 2, "alice", "sent a minute ago", recent, "c-1"),
                new ChatMessage(room, 3, "alice", "no cid, nothing to remember", now - Duration.ofSeconds(30).toMillis(), null),
                new ChatMessage(room, 4, "bob", "the same cid from someone else", bobs, "c-1")));

        redis.execute("DEL", RoomKeys.seq(room), RoomKeys.GENERATION);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals("4", gateway.get(RoomKeys.seq(room))));
        // Written before the counter, so by now: what publish.lua would have written, for what is left of the window.
        assertEquals("2:" + recent, gateway.get(RoomKeys.idempotency(room, "alice", "c-1")));
        assertEquals("4:" + bobs, gateway.get(RoomKeys.idempotency(room, "bob", "c-1")));
        long ttl = redis.execute("PTTL", RoomKeys.idempotency(room, "alice", "c-1")).toLong();
        assertTrue(ttl > 0 && ttl <= Duration.ofMinutes(4).toMillis(), "the rest of a 5-minute window sent a minute ago: " + ttl + " ms");
        assertNull(gateway.get(RoomKeys.idempotency(room, "alice", "c-old")), "a send older than the window is not remembered");
    }

    @Test
    void moreSendsInOneMillisecondThanAPageAllGetTheirRecordsBack() {
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("reseed-burst");
        long ts = System.currentTimeMillis() - Duration.ofSeconds(30).toMillis();
        List<ChatMessage> burst = new ArrayList<>();
        for (int seq = 1; seq <= 1200; seq++) {
            burst.add(new ChatMessage(room, seq, "alice", "burst " + seq, ts, "c-" + seq));
        }
        write(room, burst);

        redis.execute("DEL", RoomKeys.seq(room), RoomKeys.GENERATION);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals("1200", gateway.get(RoomKeys.seq(room))));
        List<String> missing = burst.stream().filter(m -> !(m.seq() + ":" + ts).equals(gateway.get(RoomKeys.idempotency(room, "alice", m.cid()))))
                .map(ChatMessage::cid).toList();
        assertEquals(List.of(), missing, "sends whose record did not come back");
    }

    @Test
    void aSendHistoryHasReceivedButNotStoredGetsItsRecordBackToo() {
        Gateway gateway = new Gateway(redis);
        String room = Gateway.uniqueRoom("reseed-unstored");
        long ts = System.currentTimeMillis() - Duration.ofSeconds(20).toMillis();
        // A lock that lets reads through but holds every insert: ingest's statement waits, the message stays in memory.
        SqlConnection holder = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        Transaction lock = holder.begin().await().atMost(Duration.ofSeconds(10));
        try {
            holder.query("lock table messages in share mode").execute().await().atMost(Duration.ofSeconds(10));
            redis.execute("SET", RoomKeys.seq(room), "1");
            gateway.publishRaw(room, Gateway.payload(room, 1, "alice", "held by the lock", ts, "c-held"));
            await().atMost(Duration.ofSeconds(10)).until(() -> ingestWriter.pending() > 0);

            redis.execute("DEL", RoomKeys.seq(room), RoomKeys.GENERATION);

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals("1", gateway.get(RoomKeys.seq(room))));
            assertEquals("1:" + ts, gateway.get(RoomKeys.idempotency(room, "alice", "c-held")));
            long stored = pool.preparedQuery("select count(*) from messages where room = $1").execute(Tuple.of(room))
                    .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
            assertEquals(0, stored, "not stored yet: the record came from what ingest held");
        } finally {
            lock.rollback().await().atMost(Duration.ofSeconds(10));
            holder.close().await().atMost(Duration.ofSeconds(10));
        }
    }

    private void write(String room, List<ChatMessage> messages) {
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(room, (long) messages.size())))
                .await().atMost(Duration.ofSeconds(10));
    }

    private void store(String room, int count) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= count; seq++) {
            messages.add(new ChatMessage(room, seq, "alice", "message " + seq, Gateway.ts(seq), null));
        }
        write(room, messages);
    }
}
