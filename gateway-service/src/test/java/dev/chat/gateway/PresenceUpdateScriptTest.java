package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How presence-update.lua holds a room's announcements for every gateway at once, called with the clock it is
 * given: quiet rooms announce at once, a full list or a busy room holds the next announcement, a storm that goes
 * on doubles the hold up to the longest, and what any gateway changed during a hold is announced once, by the
 * first call after it, with each user's final state.
 */
@QuarkusTest
class PresenceUpdateScriptTest {

    static final long FIRST = 1_000;
    static final long LONGEST = 4_000;
    static final long GRACE = 300;
    static final int CAP = 8;
    static final LuaScript SCRIPT = LuaScript.fromResource("scripts/presence-update.lua");
    static final LuaScript BEFORE_INDEX = LuaScript.fromResource("scripts/presence-update-before-index.lua");

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    String room;
    long t0;
    long first = FIRST;
    /** Users a second of full lists (the gateway's default). */
    int listRate = 1_000;
    /** Whether the last call looked up only the users it changed, through the presence index (not the whole room). */
    boolean lookedUp;
    /** How long the room's keys live after a call (the gateway's: twice the presence ttl). */
    long keyTtlMs = 60_000;

    record Reply(long announced, long holdUntil, boolean waiting) {
    }

    @BeforeEach
    void setUp() {
        room = "hold-" + UUID.randomUUID().toString().substring(0, 8);
        t0 = System.currentTimeMillis();
    }

    /** One gateway's flush at {@code t0 + at}: users joined and left on {@code node} since its last one. */
    Reply flush(String node, long at, List<String> joined, List<String> left) {
        return call(node, at, joined, left, false);
    }

    Reply call(String node, long at, List<String> present, List<String> absent, boolean heartbeat) {
        Response reply = SCRIPT.run(reactiveRedis, List.of(RoomKeys.presence(room), RoomKeys.presenceHold(room),
                RoomKeys.presenceUnannounced(room), RoomKeys.presenceNodes(room)), args(node, at, present, absent, heartbeat))
                .await().atMost(Duration.ofSeconds(10));
        lookedUp = reply.get(3).toLong() == 1;
        return new Reply(reply.get(0).toLong(), reply.get(1).toLong() == 0 ? 0 : reply.get(1).toLong() - t0,
                reply.get(2).toLong() == 1);
    }

    static List<String> users(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
    }

    @Test
    void aQuietRoomAnnouncesEachChangeAtOnceAndHoldsNothing() {
        assertEquals(new Reply(1, 0, false), flush("a", 0, List.of("u1"), List.of()));
        assertEquals(new Reply(1, 0, false), flush("b", 2_000, List.of("u2"), List.of()), "long after, on any gateway: at once");
    }

    @Test
    void aFullListHoldsTheRoomsNextAnnouncementForEveryGateway() {
        assertEquals(new Reply(CAP + 1, FIRST, false), flush("a", 0, users("u", CAP + 1), List.of()));
        assertEquals(new Reply(0, FIRST, true), flush("b", 500, List.of("b1"), List.of()), "another gateway's change waits");
        assertEquals(1, flush("b", FIRST, List.of(), List.of()).announced(), "the first call after the hold announces it");
    }

    @Test
    void aStormThatGoesOnDoublesEachHoldUpToTheLongest() {
        long at = 0;
        long[] expected = {FIRST, 2 * FIRST, 4 * FIRST, LONGEST, LONGEST};
        for (int round = 0; round < expected.length; round++) {
            Reply reply = flush(round % 2 == 0 ? "a" : "b", at, users("s" + round + "-", CAP + 1), List.of());
            assertEquals(new Reply(CAP + 1, at + expected[round], false), reply, "round " + round);
            at += expected[round];
        }
    }

    @Test
    void aBigRoomsFullListHoldsItsNextAnnouncementAsLongAsItsUsersTakeAtTheListRate() {
        listRate = 5;
        assertEquals(new Reply(40, 8_000, false), flush("a", 0, users("u", 40), List.of()),
                "40 users at 5 a second: 8 s, past the longest hold");
        assertEquals(new Reply(0, 8_000, true), flush("b", 5_000, users("v", CAP + 2), List.of()), "another gateway's joins wait");
        assertEquals(new Reply(CAP + 2, 8_000 + 10_000, false), flush("b", 8_000, List.of(), List.of()),
                "the next list, of 50, holds 10 s: its own size, although a storm's doubling stops at the longest");
        listRate = 1_000;
        assertEquals(new Reply(CAP + 1, 18_000 + LONGEST, false), flush("a", 18_000, users("w", CAP + 1), List.of()),
                "59 users at 1,000 a second take less than the longest hold, which stands");
    }

    @Test
    void aRoomThatAnnouncesAgainWithinTheGraceIsHeldLikeABusyRoom() {
        assertEquals(new Reply(1, 0, false), flush("a", 0, List.of("u1"), List.of()), "a first announcement only marks the room");
        assertEquals(new Reply(1, 200 + FIRST, false), flush("b", 200, List.of("u2"), List.of()));
        assertEquals(new Reply(0, 200 + FIRST, true), flush("a", 400, List.of("u3"), List.of()));
    }

    @Test
    void aRoomQuietPastTheGraceAfterItsHoldStartsOver() {
        flush("a", 0, users("u", CAP + 1), List.of());
        assertEquals(new Reply(CAP + 1, FIRST + GRACE + 1 + FIRST, false),
                flush("a", FIRST + GRACE + 1, users("v", CAP + 1), List.of()), "the first hold again, not twice it");
    }

    @Test
    void whatEveryGatewayChangedDuringAHoldIsAnnouncedOnceByTheFirstCallAfterIt() {
        flush("a", 0, users("u", CAP + 1), List.of());
        assertEquals(new Reply(0, FIRST, true), flush("b", 100, List.of("b1"), List.of()));
        assertEquals(new Reply(0, FIRST, true), flush("a", 200, List.of("a1"), List.of("u0")));
        assertEquals(3, flush("b", FIRST, List.of(), List.of()).announced(), "b1 and a1 joined, u0 left");
        assertEquals(0, flush("a", FIRST + 10, List.of(), List.of()).announced(), "announced once");
        assertEquals(List.of("a1", "b1", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"), present());
    }

    @Test
    void aUserWhoComesAndGoesWithinAHoldIsNeverAnnounced() {
        flush("a", 0, users("u", CAP + 1), List.of());
        assertEquals(new Reply(0, FIRST, true), flush("b", 100, List.of("x"), List.of()));
        assertEquals(new Reply(0, FIRST, false), flush("b", 200, List.of(), List.of("x")), "nothing left to announce");
        // A member clients know leaves on one gateway and is back on another before the hold ends.
        assertEquals(new Reply(0, FIRST, true), flush("a", 300, List.of(), List.of("u3")));
        assertEquals(new Reply(0, FIRST, false), flush("b", 400, List.of("u3"), List.of()));
        assertEquals(0, flush("a", FIRST, List.of(), List.of()).announced());
    }

    @Test
    void aHeartbeatDuringAHoldRefreshesEntriesAndItsSweptLeavesAreAnnouncedAfterTheHold() {
        flush("c", 0, List.of("gone"), List.of());
        assertEquals(new Reply(CAP + 1, 100 + FIRST, false), flush("a", 100, users("u", CAP + 1), List.of()));
        // c's gateway crashed: its entry expires at 500, and a's heartbeat at 600 sweeps it during the hold.
        redis.execute("ZADD", RoomKeys.presence(room), Long.toString(t0 + 500), "gone|c");
        assertEquals(new Reply(0, 100 + FIRST, true), call("a", 600, users("u", CAP + 1), List.of(), true));
        assertEquals(1, flush("a", 100 + FIRST, List.of(), List.of()).announced(), "the leave, once the hold is over");
        assertEquals(users("u", CAP + 1), present());
    }

    @Test
    void aFirstHoldOfZeroTurnsHoldsOff() {
        first = 0;
        assertEquals(new Reply(CAP + 1, 0, false), flush("a", 0, users("u", CAP + 1), List.of()));
        assertEquals(new Reply(CAP + 1, 0, false), flush("a", 100, users("v", CAP + 1), List.of()));
    }

    @Test
    void aUserOnTwoGatewaysIsPresentUntilTheLastOfThemLetsGoLookedUpThroughTheIndex() {
        first = 0;
        assertEquals(1, flush("a", 0, List.of("y"), List.of()).announced());
        assertEquals(1, flush("b", 100, List.of("y", "z"), List.of()).announced(), "y was there already: only z joins");
        assertTrue(lookedUp);
        assertEquals(0, flush("a", 200, List.of(), List.of("y")).announced(), "y is still on b");
        assertTrue(lookedUp);
        assertEquals(1, flush("b", 300, List.of(), List.of("y")).announced(), "y leaves with b's entry");
        assertTrue(lookedUp);
        assertEquals(List.of("z"), present());
    }

    @Test
    void anEntryTheIndexDoesNotHoldMakesCallsReadTheWholeRoomUntilItIsGone() {
        first = 0;
        flush("a", 0, users("u", 3), List.of());
        assertTrue(lookedUp);
        // A gateway still on the script before the index (a rolling upgrade) adds an entry the index knows nothing of.
        redis.execute("ZADD", RoomKeys.presence(room), Long.toString(t0 + 30_000), "x|old");
        assertEquals(0, flush("a", 100, List.of("x"), List.of()).announced(), "x is present through the old gateway already");
        assertFalse(lookedUp);
        call("a", 200, List.of("u0", "u1", "u2", "x"), List.of(), true);
        assertEquals(1, flush("a", 300, List.of("u3"), List.of()).announced());
        assertFalse(lookedUp, "a heartbeat indexes only the entries of gateways that keep the index");
        // The old gateway leaves the room.
        redis.execute("ZREM", RoomKeys.presence(room), "x|old");
        assertEquals(1, flush("a", 400, List.of(), List.of("x")).announced(), "x leaves with a's entry, the last");
        assertTrue(lookedUp);
        assertEquals(users("u", 4), present());
    }

    @Test
    void aLostIndexIsRebuiltOnceEveryGatewayInTheRoomHasBeaten() {
        first = 0;
        flush("a", 0, List.of("u1", "u2"), List.of());
        flush("b", 100, List.of("v1"), List.of());
        redis.execute("DEL", RoomKeys.presenceNodes(room));
        assertEquals(1, flush("a", 200, List.of("u3"), List.of()).announced());
        assertFalse(lookedUp);
        call("a", 300, List.of("u1", "u2", "u3"), List.of(), true);
        flush("a", 400, List.of(), List.of());
        assertFalse(lookedUp, "b's entry is not indexed until b is known to keep the index");
        call("b", 500, List.of("v1"), List.of(), true);
        assertEquals(1, flush("b", 600, List.of(), List.of("v1")).announced());
        assertTrue(lookedUp);
        assertEquals(List.of("u1", "u2", "u3"), present());
    }

    @Test
    void aGatewayFromBeforeTheIndexThatSweepsAnUpgradedOnesEntriesLeavesTheRoomReadWhole() {
        first = 0;
        flush("n1", 0, List.of("a"), List.of());
        // A gateway on the script before the index (a rolling upgrade) has b.
        callBeforeIndex("old", 100, List.of("b"), List.of(), false);
        // n1 died: its entry expired, and the old gateway's heartbeat sweeps it. The index still names a, and misses b:
        // as many entries as the set has.
        assertEquals(1, callBeforeIndex("old", 31_000, List.of("b"), List.of(), true).get(0).toLong(), "a's leave");
        assertEquals(0, flush("n2", 31_100, List.of("b"), List.of()).announced(), "b was there already, through the old gateway");
        assertFalse(lookedUp);
        assertEquals(0, flush("n2", 31_200, List.of(), List.of("b")).announced(), "b is still there, through the old gateway");
        assertFalse(lookedUp);
        assertEquals(List.of("b"), present(31_200));
    }

    @Test
    void anIndexNoCallKeptAliveExpiresBeforeTheRoomAndTheRoomIsThenReadWhole() {
        // Another script's call this long after the last one would set the room's expiry to the very time this one set.
        keyTtlMs = 1_000;
        first = 0;
        flush("a", 0, List.of("u1"), List.of());
        assertTrue(lookedUp);
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.execute("EXISTS", RoomKeys.presenceNodes(room)).toLong() == 0);
        assertEquals(1, flush("a", 100, List.of("u2"), List.of()).announced());
        assertFalse(lookedUp, "the room outlives its index (twice as long) and is read whole");
        call("a", 200, List.of("u1", "u2"), List.of(), true);
        flush("a", 300, List.of("u3"), List.of());
        assertTrue(lookedUp, "a heartbeat indexed it again");
    }

    /** A call of the script before the index, as a gateway not yet upgraded makes it. */
    Response callBeforeIndex(String node, long at, List<String> present, List<String> absent, boolean heartbeat) {
        return BEFORE_INDEX.run(reactiveRedis, List.of(RoomKeys.presence(room), RoomKeys.presenceHold(room), RoomKeys.presenceUnannounced(room)),
                args(node, at, present, absent, heartbeat)).await().atMost(Duration.ofSeconds(10));
    }

    /** Both scripts' arguments for a call of {@code node} at {@code t0 + at}; its entries live 30 s. */
    List<String> args(String node, long at, List<String> present, List<String> absent, boolean heartbeat) {
        long now = t0 + at;
        List<String> args = new ArrayList<>(List.of(node, Long.toString(now), Long.toString(now + 30_000), Long.toString(keyTtlMs),
                RoomKeys.channel(room), room, Integer.toString(CAP), heartbeat ? "1" : "0", "PUBLISH", Long.toString(first),
                Long.toString(LONGEST), Long.toString(GRACE), Integer.toString(listRate), Integer.toString(present.size())));
        args.addAll(present);
        args.addAll(absent);
        return args;
    }

    List<String> present() {
        return present(FIRST);
    }

    List<String> present(long at) {
        List<String> users = new ArrayList<>();
        for (Response member : redis.execute("ZRANGEBYSCORE", RoomKeys.presence(room), Long.toString(t0 + at), "+inf")) {
            String value = member.toString();
            users.add(value.substring(0, value.lastIndexOf('|')));
        }
        users.sort(null);
        return users;
    }
}
