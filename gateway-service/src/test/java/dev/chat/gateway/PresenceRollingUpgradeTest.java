package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.common.redis.LuaScript;
import dev.chat.common.redis.RoomKeys;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade: gateways still on an earlier presence script share rooms with upgraded ones. From before per-room
 * holds, they announce at once and know nothing of holds or of the changes a hold keeps unannounced; from before the
 * presence index, they write entries the index does not hold, and sweep indexed ones. Whatever the interleaving of
 * joins, leaves, heartbeats and upgraded gateways that die (the earlier gateway sweeps their expired entries), every
 * full list any of them announces is the room's presence at that moment, and once the last hold is over, a client that
 * applied every announcement (single events and lists, or diffs) knows exactly who is present: at worst it was told a
 * join or a leave it had already applied. Once the earlier gateway has left the room, the upgraded one's next
 * heartbeat indexes the room again, and its flushes look up only the users they change.
 */
@QuarkusTest
class PresenceRollingUpgradeTest {

    static final long FIRST = 1_000;
    static final long LONGEST = 4_000;
    static final long GRACE = 300;
    static final int CAP = 8;
    /** How long a gateway's entries live after its last call for them. */
    static final long TTL = 600_000;
    static final LuaScript UPGRADED = LuaScript.fromResource("scripts/presence-update.lua");
    static final LuaScript BEFORE_HOLDS = LuaScript.fromResource("scripts/presence-update-before-holds.lua");
    static final LuaScript BEFORE_INDEX = LuaScript.fromResource("scripts/presence-update-before-index.lua");

    @Inject
    RedisDataSource redis;

    @Inject
    ReactiveRedisDataSource reactiveRedis;

    @Test
    void gatewaysFromBeforeHoldsAndUpgradedOnesTogetherLeaveEveryClientWithTheRoomsPresence() {
        for (long seed = 1; seed <= 40; seed++) {
            new Upgrade(seed, BEFORE_HOLDS).run();
        }
    }

    @Test
    void gatewaysFromBeforeTheIndexAndUpgradedOnesTogetherLeaveEveryClientWithTheRoomsPresence() {
        for (long seed = 1; seed <= 40; seed++) {
            new Upgrade(seed, BEFORE_INDEX).run();
        }
    }

    /** One room, gateway "new" on the upgraded script and gateway "old" on the previous one, in a seeded interleaving. */
    final class Upgrade {
        final Random random;
        final long seed;
        final LuaScript previous;
        final String room = "upgrade-" + UUID.randomUUID().toString().substring(0, 8);
        /** Where the announcements go: a list instead of the channel (the scripts take the publish command). */
        final String announcements = "test:" + room + ":announcements";
        final long t0 = System.currentTimeMillis();
        final Set<String> onNew = new HashSet<>();
        final Set<String> onOld = new HashSet<>();
        final Set<String> eventsView = new TreeSet<>();
        final Set<String> diffView = new TreeSet<>();
        long read;
        /** When the upgraded gateway must call again for changes that waited for the room's hold (0: none). */
        long newCallsAt;
        /** The upgraded gateway now running (a new one after each that died), and when it last called. */
        String upgradedNode = "new";
        int generation;
        long upgradedCalledAt;

        Upgrade(long seed, LuaScript previous) {
            this.seed = seed;
            this.previous = previous;
            this.random = new Random(seed);
        }

        void run() {
            long at = 0;
            for (int step = 0; step < 40; step++) {
                at += 20 + random.nextInt(400);
                boolean upgraded = random.nextBoolean();
                Set<String> local = upgraded ? onNew : onOld;
                if (random.nextInt(12) == 0 && !onNew.isEmpty()) {
                    // The upgraded gateway dies. The earlier gateway's heartbeat refreshes its own entries; once the dead
                    // one's have expired, its next heartbeat sweeps them (they leave), and another upgraded gateway takes over.
                    call(previous, "old", at, List.copyOf(onOld), List.of(), true);
                    at = upgradedCalledAt + TTL + 1;
                    onNew.clear();
                    upgradedNode = "new" + ++generation;
                    newCallsAt = 0;
                    call(previous, "old", at, List.copyOf(onOld), List.of(), true);
                    continue;
                }
                if (random.nextInt(5) == 0) {
                    // A heartbeat: every local entry refreshed, expired ones swept (and the index rebuilt where it is short).
                    List<String> refreshed = List.copyOf(local);
                    if (upgraded) {
                        flushUpgraded(at, refreshed, List.of(), true);
                    } else {
                        call(previous, "old", at, refreshed, List.of(), true);
                    }
                    continue;
                }
                List<String> joined = new ArrayList<>();
                List<String> left = new ArrayList<>();
                int changes = random.nextInt(4) == 0 ? CAP + 1 + random.nextInt(4) : random.nextInt(3);
                for (int i = 0; i < changes; i++) {
                    String user = "u" + random.nextInt(24);
                    if (joined.contains(user) || left.contains(user)) {
                        continue;
                    }
                    (local.contains(user) ? left : joined).add(user);
                }
                local.addAll(joined);
                local.removeAll(left);
                if (upgraded) {
                    flushUpgraded(at, joined, left, false);
                } else {
                    call(previous, "old", at, joined, left, false);
                }
                if (!upgraded && newCallsAt > 0 && at >= newCallsAt) {
                    flushUpgraded(at, List.of(), List.of(), false);
                }
            }
            // The earlier gateway leaves the room (drained), then the upgraded gateway's heartbeat once the last hold is
            // over (it announces what waited, and indexes the room again), and its next flush.
            at += 20;
            call(previous, "old", at, List.of(), List.copyOf(onOld), false);
            onOld.clear();
            at += LONGEST + GRACE + 1;
            flushUpgraded(at, List.copyOf(onNew), List.of(), true);
            at += 20;
            Response last = flushUpgraded(at, List.of(), List.of(), false);
            assertEquals(1, last.get(3).toLong(), "seed " + seed + ": with the earlier gateway gone, the upgraded one looks up its users");

            Set<String> present = present(at);
            // The scripts' own keys expire; the stand-in for the channel would not.
            redis.execute("DEL", announcements);
            assertEquals(present, eventsView, "seed " + seed + ": a client of single events and lists");
            assertEquals(present, diffView, "seed " + seed + ": a client of diffs");
        }

        Response flushUpgraded(long at, List<String> joined, List<String> left, boolean heartbeat) {
            upgradedCalledAt = at;
            Response reply = call(UPGRADED, upgradedNode, at, joined, left, heartbeat);
            newCallsAt = reply.get(2).toLong() == 1 ? reply.get(1).toLong() - t0 : newCallsAt > 0 && at < newCallsAt ? newCallsAt : 0;
            return reply;
        }

        Response call(LuaScript script, String node, long at, List<String> present, List<String> absent, boolean heartbeat) {
            long now = t0 + at;
            List<String> args = new ArrayList<>(List.of(node, Long.toString(now), Long.toString(now + TTL), Long.toString(TTL),
                    announcements, room, Integer.toString(CAP), heartbeat ? "1" : "0", "RPUSH"));
            List<String> keys;
            if (script == UPGRADED) {
                args.addAll(List.of(Long.toString(FIRST), Long.toString(LONGEST), Long.toString(GRACE), "0"));
                keys = List.of(RoomKeys.presence(room), RoomKeys.presenceHold(room), RoomKeys.presenceUnannounced(room),
                        RoomKeys.presenceNodes(room));
            } else if (script == BEFORE_INDEX) {
                args.addAll(List.of(Long.toString(FIRST), Long.toString(LONGEST), Long.toString(GRACE), "0"));
                keys = List.of(RoomKeys.presence(room), RoomKeys.presenceHold(room), RoomKeys.presenceUnannounced(room));
            } else {
                keys = List.of(RoomKeys.presence(room));
            }
            args.add(Integer.toString(present.size()));
            args.addAll(present);
            args.addAll(absent);
            Response reply = script.run(reactiveRedis, keys, args).await().atMost(Duration.ofSeconds(10));
            apply(at);
            return reply;
        }

        /** What this call announced, applied as clients apply it; a full list must be the room's presence now. */
        void apply(long at) {
            for (Response item : redis.execute("LRANGE", announcements, Long.toString(read), "-1")) {
                read++;
                JsonObject frame = new JsonObject(item.toString());
                switch (frame.getString("type")) {
                    case "presence" -> {
                        Set<String> users = strings(frame.getJsonArray("users"));
                        assertEquals(present(at), users, "seed " + seed + ": a full list is the room's presence");
                        eventsView.clear();
                        eventsView.addAll(users);
                    }
                    case "presence.join" -> eventsView.add(frame.getString("user"));
                    case "presence.leave" -> eventsView.remove(frame.getString("user"));
                    case "presence.diff" -> {
                        diffView.addAll(strings(frame.getJsonArray("joined")));
                        diffView.removeAll(strings(frame.getJsonArray("left")));
                    }
                    default -> throw new AssertionError("not a presence frame: " + frame);
                }
            }
        }

        Set<String> present(long at) {
            Set<String> users = new TreeSet<>();
            for (Response member : redis.execute("ZRANGEBYSCORE", RoomKeys.presence(room), Long.toString(t0 + at), "+inf")) {
                String value = member.toString();
                users.add(value.substring(0, value.lastIndexOf('|')));
            }
            return users;
        }
    }

    static Set<String> strings(JsonArray array) {
        Set<String> values = new TreeSet<>();
        array.forEach(value -> values.add((String) value));
        return values;
    }
}
