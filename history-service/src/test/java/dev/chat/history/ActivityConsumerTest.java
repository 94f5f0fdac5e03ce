package dev.chat.history;

import dev.chat.common.redis.LuaScript;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.history.unread.ActivityConsumer;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The activity consumer's delivery guarantees against the real Redis and PostgreSQL: entries a crashed consumer never
 * acknowledged are taken over, entries PostgreSQL refuses stay unacknowledged and are stored once it accepts them,
 * malformed entries are acknowledged and skipped, and a dropped connection comes back.
 */
@QuarkusTest
class ActivityConsumerTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The group the test profile consumes as (application.properties). */
    private static final String GROUP = "history-test";
    /** A consumer that reads and then dies: the XADD and its XREADGROUP in one script, so no one else gets the entry first. */
    private static final String ADD_AND_READ = "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', '1000000', '*', 'type', 'join', "
            + "'user', ARGV[3], 'room', ARGV[4], 'seq', '0', 'ts', ARGV[5]) "
            + "return {id, redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', '1000', 'STREAMS', KEYS[1], '>')}";

    private static final LuaScript REMOVE_STALE = LuaScript.fromResource("scripts/remove-stale-consumers.lua");

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Inject
    DataSource database;

    @Inject
    ActivityConsumer consumer;

    Gateway gateway;
    String user;

    @BeforeEach
    void setUp() throws SQLException {
        gateway = new Gateway(redis);
        user = Gateway.uniqueUser("activity");
        await().atMost(WAIT).until(consumer::isConnected);
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("create table if not exists activity_faults (user_id text not null)");
            s.execute("create or replace function activity_faults_check() returns trigger as $$ begin "
                    + "if exists (select 1 from activity_faults f where f.user_id = new.user_id) then "
                    + "raise exception 'injected fault for %', new.user_id using errcode = 'P0001'; end if; "
                    + "return new; end $$ language plpgsql");
        }
    }

    @AfterEach
    void removeFaults() throws SQLException {
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("drop trigger if exists activity_faults_trigger on read_markers");
            s.execute("delete from activity_faults");
        }
    }

    @Test
    void entriesACrashedConsumerNeverAcknowledgedAreTakenOver() {
        String crashed = Gateway.uniqueUser("crashed");
        String room = Gateway.uniqueRoom("orphan");
        Response read = redis.execute("EVAL", ADD_AND_READ, "1", Gateway.ACTIVITY, GROUP, crashed, user, room,
                Long.toString(System.currentTimeMillis()));
        String id = read.get(0).toString();
        // Everything not yet delivered in the group, this entry included: all of it is the crashed consumer's now.
        assertTrue(ids(read.get(1).get(0).get(1)).contains(id), "the crashed consumer did not get the entry");

        try {
            await().atMost(WAIT).untilAsserted(() -> assertTrue(roomsOf(user).contains(room)));
            await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(), pending(id, null)));
        } finally {
            redis.execute("XGROUP", "DELCONSUMER", Gateway.ACTIVITY, GROUP, crashed);
        }
    }

    @Test
    void entriesStayUnacknowledgedWhileTheDatabaseRefusesThemAndAreStoredAfterwards() throws SQLException {
        String room = Gateway.uniqueRoom("refused");
        gateway.joined(user, room);
        await().atMost(WAIT).untilAsserted(() -> assertEquals(0, readSeq(room)));

        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("create trigger activity_faults_trigger before insert on read_markers "
                    + "for each row execute function activity_faults_check()");
        }
        fault(user);
        double retriesBefore = IngestTest.metric("chat_history_activity_retries_total");
        String id = gateway.read(user, room, 5);

        // Delivered, refused, retried, and still not acknowledged.
        await().atMost(WAIT).untilAsserted(() -> {
            assertTrue(IngestTest.metric("chat_history_activity_retries_total") >= retriesBefore + 2);
            assertEquals(List.of(id), pending(id, consumer.consumer()));
        });
        assertTrue(consumer.failing());
        assertEquals(0, readSeq(room));

        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            s.execute("delete from activity_faults");
        }
        // A read position may run ahead of the stored messages (ingest can lag behind the gateway).
        await().atMost(WAIT).untilAsserted(() -> assertEquals(5, readSeq(room)));
        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(), pending(id, null)));
        assertFalse(consumer.failing());
    }

    @Test
    void malformedEntriesAreAcknowledgedAndSkipped() {
        double skippedBefore = IngestTest.metric("chat_history_activity_skipped_total");
        String other = Gateway.uniqueUser("other");
        String room = Gateway.uniqueRoom("bad");
        List<String> bad = new ArrayList<>();
        bad.add(xadd("type", "leave", "user", user, "room", room, "seq", "0", "ts", "1"));
        bad.add(xadd("type", "read", "user", user, "room", room, "seq", "-1", "ts", "1"));
        bad.add(xadd("type", "read", "user", user, "room", room, "seq", "many", "ts", "1"));
        bad.add(xadd("type", "join", "user", "not a user", "room", room, "seq", "0", "ts", "1"));
        bad.add(xadd("type", "join", "user", user, "room", "no spaces in rooms", "seq", "0", "ts", "1"));
        bad.add(xadd("type", "join", "user", user, "room", Gateway.dm(other, other + "x"), "seq", "0", "ts", "1"));
        bad.add(xadd("type", "join", "room", room));
        String later = Gateway.uniqueRoom("later");
        gateway.joined(user, later);

        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(later), roomsOf(user)));
        await().atMost(WAIT).untilAsserted(() -> {
            for (String id : bad) {
                assertEquals(List.of(), pending(id, null), id);
            }
        });
        assertTrue(IngestTest.metric("chat_history_activity_skipped_total") >= skippedBefore + bad.size());
    }

    @Test
    void aJoinWithoutATimestampUsesTheStreamTime() {
        String room = Gateway.uniqueRoom("no-ts");
        xadd("type", "join", "user", user, "room", room, "seq", "0");
        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(room), roomsOf(user)));
    }

    @Test
    void aDroppedConnectionIsReopened() {
        String before = connectionId();
        assertNotNull(before, "activity connection not in CLIENT LIST");
        // Only this instance's connection (other clients share this Redis).
        redis.execute("CLIENT", "KILL", "ID", before);
        String room = Gateway.uniqueRoom("after-kill");
        gateway.joined(user, room);

        await().atMost(WAIT).untilAsserted(() -> assertEquals(List.of(room), roomsOf(user)));
        String after = connectionId();
        assertNotNull(after);
        assertNotEquals(before, after);
    }

    private String xadd(String... fields) {
        List<String> args = new ArrayList<>(List.of(Gateway.ACTIVITY, "*"));
        args.addAll(List.of(fields));
        return redis.execute("XADD", args.toArray(String[]::new)).toString();
    }

    /** The entry if it is in the group's pending list (of {@code owner}, or of anyone when null). */
    @Test
    void staleConsumersWithNothingPendingAreRemovedFromTheGroup() {
        // A replica that is gone (every pod name leaves a consumer behind), idle with nothing pending.
        String gone = Gateway.uniqueUser("gone-replica");
        redis.execute("XGROUP", "CREATECONSUMER", Gateway.ACTIVITY, GROUP, gone);
        assertTrue(consumers().contains(gone));

        // Past chat.activity.stale-consumer-idle (3 s in tests), at the next claim round.
        await().atMost(WAIT).until(() -> !consumers().contains(gone));
        assertTrue(consumers().contains(consumer.consumer()), "history removed itself");
        assertTrue(IngestTest.metric("chat_history_activity_consumers_removed_total") >= 1);
    }

    @Test
    void theRemovalLooksAndDeletesInOneStepAndSparesAConsumerWithEntriesPending() {
        String stream = "test:stale-consumers:" + Gateway.uniqueUser("s");
        redis.execute("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM");
        redis.execute("XGROUP", "CREATECONSUMER", stream, "g", "idle-empty");
        redis.execute("XGROUP", "CREATECONSUMER", stream, "g", "caller");
        redis.execute("XADD", stream, "*", "type", "join");
        // Read and never acknowledged: it was, for instance, read just before the removal ran.
        redis.execute("XREADGROUP", "GROUP", "g", "busy", "COUNT", "10", "STREAMS", stream, ">");
        try {
            await().atMost(WAIT).until(() -> idleMs(stream, "idle-empty") > 200 && idleMs(stream, "busy") > 200);
            List<String> removed = new ArrayList<>();
            for (Response name : REMOVE_STALE.run(reactiveRedis, List.of(stream), List.of("g", "caller", "200")).await().indefinitely()) {
                removed.add(name.toString());
            }
            assertEquals(List.of("idle-empty"), removed, "idle with nothing pending, and not the caller");
            assertTrue(idleMs(stream, "busy") >= 0, "the consumer with an entry pending stays");
            assertTrue(idleMs(stream, "caller") >= 0, "the caller stays");
        } finally {
            redis.execute("DEL", stream);
        }
    }

    /** How long the consumer has been idle, -1 if the group has no such consumer. */
    private long idleMs(String stream, String name) {
        return consumerInfos(stream, "g").stream().filter(info -> name.equals(info.get("name")))
                .mapToLong(info -> Long.parseLong(info.get("idle"))).findFirst().orElse(-1);
    }

    private List<String> consumers() {
        return consumerInfos(Gateway.ACTIVITY, GROUP).stream().map(info -> info.get("name")).toList();
    }

    /** XINFO CONSUMERS, one map of fields per consumer (RESP3 answers maps, RESP2 flat lists). */
    private List<Map<String, String>> consumerInfos(String stream, String group) {
        List<Map<String, String>> consumers = new ArrayList<>();
        for (Response info : redis.execute("XINFO", "CONSUMERS", stream, group)) {
            Map<String, String> fields = new java.util.HashMap<>();
            if (info.type() == io.vertx.redis.client.ResponseType.MULTI && info.getKeys().contains("name")) {
                info.getKeys().forEach(k -> fields.put(k, info.get(k).toString()));
            } else {
                for (int f = 0; f + 1 < info.size(); f += 2) {
                    fields.put(info.get(f).toString(), info.get(f + 1).toString());
                }
            }
            consumers.add(fields);
        }
        return consumers;
    }

    private List<String> pending(String id, String owner) {
        List<String> args = new ArrayList<>(List.of(Gateway.ACTIVITY, GROUP, id, id, "1"));
        if (owner != null) {
            args.add(owner);
        }
        Response reply = redis.execute("XPENDING", args.toArray(String[]::new));
        return ids(reply);
    }

    private static List<String> ids(Response entries) {
        List<String> ids = new ArrayList<>();
        for (Response entry : entries) {
            ids.add(entry.get(0).toString());
        }
        return ids;
    }

    private List<String> roomsOf(String who) {
        return body(who).getList("rooms.room", String.class);
    }

    private int readSeq(String room) {
        Map<String, Object> entry = body(user).getMap("rooms.find { it.room == '" + room + "' }");
        assertNotNull(entry, room + " not listed");
        return (Integer) entry.get("readSeq");
    }

    private static JsonPath body(String who) {
        return given().auth().oauth2(TestTokens.valid(who)).get("/users/me/rooms").then().statusCode(200).extract().jsonPath();
    }

    private void fault(String who) throws SQLException {
        try (Connection c = database.getConnection(); PreparedStatement s = c.prepareStatement("insert into activity_faults values (?)")) {
            s.setString(1, who);
            s.executeUpdate();
        }
    }

    /** The id of this instance's activity connection in CLIENT LIST, or null. */
    private String connectionId() {
        String list = redis.execute("CLIENT", "LIST").toString();
        for (String line : list.split("\n")) {
            if (line.contains(" name=" + consumer.clientName() + " ")) {
                for (String field : line.split(" ")) {
                    if (field.startsWith("id=")) {
                        return field.substring(3);
                    }
                }
            }
        }
        return null;
    }
}
