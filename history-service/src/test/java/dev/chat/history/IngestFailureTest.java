package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.stream.StreamRange;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * While PostgreSQL refuses writes, received messages wait in memory, readiness says so, and they are
 * stored once writes work again; a message PostgreSQL refuses for good is skipped. The refusals are
 * real: a trigger that fails inserts for one test room.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class IngestFailureTest {

    /** A write unanswered for 2 s counts as failed (the default is 30 s). */
    public static class ShortWriteTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.ingest.write-timeout", "2s");
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    RedisDataSource redis;

    @Inject
    DataSource database;

    String room;

    @BeforeEach
    void installFaultTrigger() throws SQLException {
        room = Gateway.uniqueRoom("faulty");
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("create table if not exists ingest_faults (room text not null, seq bigint, errcode text not null)");
            // Counts the inserts the trigger failed: a sequence is not rolled back with the failing statement.
            s.execute("create sequence if not exists ingest_fault_hits");
            s.execute("create or replace function ingest_faults_check() returns trigger as $$ declare code text; begin "
                    + "select f.errcode into code from ingest_faults f where f.room = new.room and (f.seq is null or f.seq = new.seq) limit 1; "
                    + "if code = 'sleep' then perform pg_sleep(6); return new; end if; "
                    + "if code is not null then perform nextval('ingest_fault_hits'); raise exception 'injected fault for % %', new.room, new.seq using errcode = code; end if; "
                    + "return new; end $$ language plpgsql");
            s.execute("drop trigger if exists ingest_faults_trigger on messages");
            s.execute("create trigger ingest_faults_trigger before insert on messages for each row execute function ingest_faults_check()");
        }
    }

    @AfterEach
    void removeFaults() throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("drop trigger if exists ingest_faults_trigger on messages");
        }
        clearFaults();
    }

    /** Makes inserts for the room (or one seq of it, when seq is given) fail with the SQLSTATE. */
    private void fault(Long seq, String errcode) throws SQLException {
        try (Connection c = database.getConnection();
                PreparedStatement s = c.prepareStatement("insert into ingest_faults (room, seq, errcode) values (?, ?, ?)")) {
            s.setString(1, room);
            s.setObject(2, seq);
            s.setString(3, errcode);
            s.executeUpdate();
        }
    }

    private void clearFaults() throws SQLException {
        try (Connection c = database.getConnection(); PreparedStatement s = c.prepareStatement("delete from ingest_faults where room = ?")) {
            s.setString(1, room);
            s.executeUpdate();
        }
    }

    @Test
    void messagesWaitInMemoryWhileTheDatabaseFailsAndAreStoredAfterwards() throws SQLException {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        // P0001 (raise_exception): nothing says it will fail again, so ingest keeps retrying.
        fault(null, "P0001");
        Gateway gateway = new Gateway(redis);
        gateway.publish(room, 1, "alice", "one");
        gateway.publish(room, 2, "alice", "two");

        await().atMost(WAIT).untilAsserted(() -> {
            JsonPath ingest = Management.given().get("/q/health/group/ingest").then().statusCode(503).extract().jsonPath();
            assertEquals("DOWN", ingest.getString("checks.find { it.name == 'ingest' }.status"));
            assertTrue(ingest.getInt("checks.find { it.name == 'ingest' }.data.pending") >= 2);
        });
        // Ingest trouble is a metric and an alert, not a readiness failure: what is stored can still be read.
        Management.given().get("/q/health/ready").then().statusCode(200);
        assertEquals(1.0, IngestTest.metric("chat_history_ingest_failing"));
        // The ingest-lag gauges (refreshed by each sweep) count both messages as in Redis but not stored.
        await().atMost(WAIT).untilAsserted(() -> assertTrue(IngestTest.metric("chat_history_ingest_lag_max") >= 2));
        double lagWhileFailing = IngestTest.metric("chat_history_ingest_lag");
        assertTrue(lagWhileFailing >= 2, "lag " + lagWhileFailing);
        // Not stored yet, so the gateway must keep them in the recent log.
        assertEquals(null, gateway.get(RoomKeys.stored(room)));

        clearFaults();

        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2))));
        await().atMost(WAIT).until(() -> "UP".equals(check("ingest")));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("2", gateway.get(RoomKeys.stored(room))));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(IngestTest.metric("chat_history_ingest_lag") <= lagWhileFailing - 2));
    }

    @Test
    void aMessagePostgresRefusesForGoodIsSkippedWithoutBlockingTheRest() {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        double rejectedBefore = IngestTest.metric("chat_history_ingest_rejected_total");
        // 22023 (invalid_parameter_value): a data error, the same on every retry.
        try {
            fault(2L, "22023");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        Gateway gateway = new Gateway(redis);
        gateway.publish(room, 1, "alice", "one");
        gateway.publish(room, 2, "alice", "refused");
        gateway.publish(room, 3, "alice", "three");

        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 3))));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("3", gateway.get(RoomKeys.stored(room))));
        assertTrue(IngestTest.metric("chat_history_ingest_rejected_total") >= rejectedBefore + 1);
        assertEquals("UP", check("ingest"));
    }

    @Test
    void aMessageThatKeepsFailingAloneForANonDataReasonIsSplitOutAndDeadLettered() throws SQLException {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        // P0001 (raise_exception) for seq 2 only: not a data error, so it looks like an outage at first.
        fault(2L, "P0001");
        Gateway gateway = new Gateway(redis);
        gateway.publish(room, 1, "alice", "one");
        gateway.publish(room, 2, "alice", "poison");
        gateway.publish(room, 3, "alice", "three");

        // The batch is split, the others are stored, and the one that fails alone is set aside with the reason.
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 3))).body("storedThrough", equalTo(3)));
        await().atMost(WAIT).untilAsserted(() -> assertTrue(redis.stream(String.class)
                .xrange("chat:history:dead-letter", StreamRange.of("-", "+")).stream()
                .anyMatch(m -> room.equals(m.payload().get("room")) && "2".equals(m.payload().get("seq"))
                        && m.payload().get("reason").contains("failing alone"))));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("3", gateway.get(RoomKeys.stored(room))));
        await().atMost(WAIT).until(() -> "UP".equals(check("ingest")));
    }

    @Test
    void aMessageFailingAloneForAPassingReasonIsRetriedNotSetAside() throws SQLException {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        // 40001 (serialization_failure) for seq 2 only: what a flapping database says, other writes passing in between.
        fault(2L, "40001");
        long hitsBefore = faultHits();
        Gateway gateway = new Gateway(redis);
        gateway.publish(room, 1, "alice", "one");
        gateway.publish(room, 2, "alice", "unlucky");
        gateway.publish(room, 3, "alice", "three");

        // Split out after three failures, it fails alone again and again while the others are stored; replay stops
        // before it (3 is stored, but served only once nothing before it is missing).
        await().atMost(WAIT).until(() -> faultHits() >= hitsBefore + 6 || deadLettered(2));
        assertFalse(deadLettered(2), "a message that failed for a passing reason was set aside");
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1))).body("storedThrough", equalTo(1)));

        clearFaults();

        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1, 2, 3))).body("storedThrough", equalTo(3)));
        await().atMost(WAIT).untilAsserted(() -> assertEquals("3", gateway.get(RoomKeys.stored(room))));
        assertFalse(deadLettered(2));
    }

    @Test
    void aWriteLeftUnansweredFailsAfterTheWriteTimeoutAndIsRetried() throws SQLException {
        await().atMost(WAIT).until(() -> "UP".equals(check("redis-subscriber")));
        // The insert of seq 1 takes 6 s, as if its connection had gone silent: PostgreSQL's statement timeout (15 s)
        // would not end it, and a dead connection never would.
        fault(1L, "sleep");
        Gateway gateway = new Gateway(redis);
        gateway.publish(room, 1, "alice", "slow");

        await().atMost(WAIT).until(() -> "DOWN".equals(check("ingest")));
        clearFaults();
        await().atMost(WAIT).untilAsserted(() -> given().auth().oauth2(TestTokens.valid("reader")).pathParam("room", room)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", equalTo(List.of(1))).body("storedThrough", equalTo(1)));
        await().atMost(WAIT).until(() -> "UP".equals(check("ingest")));
        assertFalse(deadLettered(1), "a write that timed out is retried, not set aside");
    }

    private long faultHits() throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement();
                java.sql.ResultSet r = s.executeQuery("select case when is_called then last_value else 0 end from ingest_fault_hits")) {
            r.next();
            return r.getLong(1);
        }
    }

    private boolean deadLettered(long seq) {
        return redis.stream(String.class).xrange("chat:history:dead-letter", StreamRange.of("-", "+")).stream()
                .anyMatch(m -> room.equals(m.payload().get("room")) && Long.toString(seq).equals(m.payload().get("seq")));
    }

    private static String check(String name) {
        return Management.given().get("/q/health/group/ingest").jsonPath().getString("checks.find { it.name == '" + name + "' }.status");
    }
}
