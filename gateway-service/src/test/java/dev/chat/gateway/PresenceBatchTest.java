package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.common.redis.RoomKeys;
import dev.chat.gateway.activity.ActivityLog;
import dev.chat.gateway.connection.ChatSession;
import dev.chat.gateway.connection.ChatSessions;
import dev.chat.gateway.metrics.GatewayMetrics;
import dev.chat.gateway.presence.PresenceRegistry;
import dev.chat.gateway.presence.TypingSignals;
import dev.chat.gateway.room.RoomRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.redis.client.Response;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Presence under a join storm: each member gets a bounded number of presence frames per interval
 * however many users join, and the presence each member can compute from them is right; a member that asked
 * for none gets none and still counts. Also:
 * presence never leaks from a join that was in flight when its connection closed or that failed,
 * typing state goes with a user's last connection, and read positions are coalesced. A batch's frames reach
 * each member in one socket write.
 */
@QuarkusTest
@TestProfile(PresenceBatchTest.Batching.class)
class PresenceBatchTest {

    static final long INTERVAL_MS = 500;
    static final int CAP = 8;
    static final long HOLD_MS = 1_000;
    static final long HOLD_MAX_MS = 4_000;

    public static class Batching implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("chat.presence.batch-interval", INTERVAL_MS + "ms", "chat.presence.batch-events", Integer.toString(CAP),
                    "chat.presence.churn-interval", HOLD_MS + "ms", "chat.presence.churn-interval-max", HOLD_MAX_MS + "ms",
                    "chat.activity.flush-interval", "500ms", "chat.limits.messages-per-second", "1000",
                    "chat.limits.message-burst", "1000");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Inject
    PresenceRegistry presence;

    @Inject
    ChatSessions sessions;

    @Inject
    RoomRegistry rooms;

    @Inject
    TypingSignals typing;

    @Inject
    ActivityLog activity;

    @Inject
    GatewayMetrics metrics;

    String suffix;
    String room;

    @BeforeEach
    void setUp() {
        redis.execute("SET", "chat:generation", "test", "NX");
        suffix = UUID.randomUUID().toString().substring(0, 6);
        room = "pres-" + suffix;
    }

    ChatClient connect(String user) {
        return ChatClient.welcomed(vertx, base, user);
    }

    /** What a client knows about a room's presence, from the frames it received, as a client author would compute it. */
    static final class View {
        final Set<String> users = new TreeSet<>();
        int presenceFrames;
        /** Unsolicited full lists: each costs the member the whole room. */
        int lists;
        int diffs;

        void apply(JsonObject frame) {
            switch (frame.getString("type")) {
                case "presence.join" -> {
                    users.add(frame.getString("user"));
                    presenceFrames++;
                }
                case "presence.leave" -> {
                    users.remove(frame.getString("user"));
                    presenceFrames++;
                }
                case "presence.diff" -> {
                    frame.getJsonArray("joined").forEach(u -> users.add((String) u));
                    frame.getJsonArray("left").forEach(u -> users.remove((String) u));
                    presenceFrames++;
                    diffs++;
                }
                case "presence" -> {
                    // Our own query's answer carries our cid; an unsolicited list replaces what we knew.
                    users.clear();
                    frame.getJsonArray("users").forEach(u -> users.add((String) u));
                    if (frame.getString("cid") == null) {
                        presenceFrames++;
                        lists++;
                    }
                }
                default -> {
                }
            }
        }
    }

    /** Drains every frame that arrives within the given quiet time into the view. */
    static void drain(ChatClient client, View view, long quietMillis) {
        JsonObject frame;
        while ((frame = client.pollAny(quietMillis)) != null) {
            view.apply(frame);
        }
    }

    /** Takes every frame that arrives until the deadline into the view. */
    static void takeUntil(ChatClient client, View view, long deadline) {
        long left;
        while ((left = deadline - System.currentTimeMillis()) > 0) {
            JsonObject frame = client.pollAny(left);
            if (frame != null) {
                view.apply(frame);
            }
        }
    }

    /** A member who follows the room's presence in the given mode, having asked who was there when it joined. */
    record Watcher(ChatClient client, View view) implements AutoCloseable {
        @Override
        public void close() {
            client.close();
        }
    }

    Watcher watcher(String user, String mode) {
        ChatClient client = connect(user);
        client.send(new JsonObject().put("type", "join").put("room", room).put("presence", mode));
        client.next("joined");
        client.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "q"));
        View view = new View();
        view.apply(client.next(f -> "q".equals(f.getString("cid"))));
        return new Watcher(client, view);
    }

    @Test
    void aStormThatGoesOnCostsEachMemberFewerListsTheLongerItLasts() {
        List<ChatClient> joiners = new ArrayList<>();
        Set<String> everyone = new TreeSet<>();
        try (Watcher watcher = watcher("watcher-" + suffix, "events")) {
            everyone.add("watcher-" + suffix);
            // 12 s of more joins per batch interval than single events allow: every announcement is a full list.
            long end = System.currentTimeMillis() + 12_000;
            for (int tick = 0; System.currentTimeMillis() < end; tick++) {
                long next = System.currentTimeMillis() + INTERVAL_MS;
                for (int i = 0; i < CAP + 2; i++) {
                    String user = String.format("storm%02d-%d-%s", tick, i, suffix);
                    ChatClient joiner = connect(user);
                    joiner.send(new JsonObject().put("type", "join").put("room", room).put("presence", "none"));
                    joiners.add(joiner);
                    everyone.add(user);
                }
                takeUntil(watcher.client(), watcher.view(), next);
            }
            joiners.forEach(joiner -> joiner.next("joined"));
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                drain(watcher.client(), watcher.view(), 20);
                assertEquals(everyone, watcher.view().users, "the watcher ends up knowing everyone who joined");
            });
            // A list per churn interval gave 12-13 (holds of 1 s plus a tick, the end and a heartbeat); doubling holds give 4-6.
            assertTrue(watcher.view().lists <= 6, joiners.size() + " joins in 12 s cost the watcher " + watcher.view().lists
                    + " full lists; holds that double from 1 s to 4 s allow at most 6");
        } finally {
            joiners.forEach(ChatClient::close);
        }
    }

    @Test
    void usersTricklingInCostEachMemberOneFramePerChurnIntervalNotOnePerBatchInterval() {
        List<ChatClient> joiners = new ArrayList<>();
        Set<String> everyone = new TreeSet<>();
        try (Watcher watcher = watcher("watcher-" + suffix, "diff")) {
            everyone.add("watcher-" + suffix);
            int diffsBefore = watcher.view().diffs;
            // One user per batch interval: without holds, each would be an announcement (a frame) of its own (12); held,
            // about one per churn interval and a tick (6-7, and the watcher's own join may land among them).
            for (int i = 0; i < 12; i++) {
                long next = System.currentTimeMillis() + INTERVAL_MS;
                String user = String.format("trickle%02d-%s", i, suffix);
                ChatClient joiner = connect(user);
                joiner.join(room);
                joiners.add(joiner);
                everyone.add(user);
                takeUntil(watcher.client(), watcher.view(), next);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                drain(watcher.client(), watcher.view(), 20);
                assertEquals(everyone, watcher.view().users, "the watcher ends up knowing everyone who joined");
            });
            int diffs = watcher.view().diffs - diffsBefore;
            assertTrue(diffs <= 9, "12 users joining one per batch interval cost the watcher " + diffs
                    + " presence.diff frames; a busy room announces once per churn interval");
        } finally {
            joiners.forEach(ChatClient::close);
        }
    }

    /** Holds the room's announcements for {@code millis} from now, as another gateway's storm would (presence-update.lua). */
    long holdRoom(long millis) {
        long until = System.currentTimeMillis() + millis;
        redis.execute("SET", RoomKeys.presenceHold(room), until + " " + millis, "PX", Long.toString(millis + 5_000));
        return until;
    }

    @Test
    void aChangeThatWaitedForTheRoomsHoldIsAnnouncedWhenTheHoldEnds() {
        String late = "late-" + suffix;
        try (Watcher watcher = watcher("watcher-" + suffix, "events"); ChatClient joiner = connect(late)) {
            long start = System.currentTimeMillis();
            holdRoom(1_500);
            joiner.join(room);
            // This gateway's flush during the hold only writes the entry; once the hold is over, it makes the call that
            // announces it (no heartbeat is due for seconds).
            watcher.client().next(f -> "presence.join".equals(f.getString("type")) && late.equals(f.getString("user")));
            long after = System.currentTimeMillis() - start;
            assertTrue(after >= 1_400, "announced " + after + " ms after a hold of 1,500 ms began");
            assertTrue(after < 1_500 + 3 * INTERVAL_MS, "announced " + after + " ms after a hold of 1,500 ms began");
        }
    }

    @Test
    void aPresenceAnswerDuringAHoldIsWhatMembersWereToldSoTheChangesThatFollowKeepItRight() {
        String passing = "passing-" + suffix;
        try (Watcher watcher = watcher("watcher-" + suffix, "events")) {
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                drain(watcher.client(), watcher.view(), 20);
                assertTrue(watcher.view().users.contains("watcher-" + suffix), "the watcher's own join was announced");
            });
            long until = holdRoom(2_000);
            ChatClient passer = connect(passing);
            passer.join(room);
            await().atMost(Duration.ofSeconds(5)).until(() -> presenceEntries().stream().anyMatch(m -> m.startsWith(passing + "|")));
            try (Watcher asker = watcher("asker-" + suffix, "events")) {
                assertFalse(asker.view().users.contains(passing), "the answer leaves out a join not announced yet: " + asker.view().users);
                // The user goes before the hold ends: came and went, never announced, and no one is left believing otherwise.
                passer.close();
                takeUntil(asker.client(), asker.view(), until + 3 * INTERVAL_MS);
                takeUntil(watcher.client(), watcher.view(), System.currentTimeMillis() + 10);
                assertFalse(asker.view().users.contains(passing), "the asker's view: " + asker.view().users);
                assertFalse(watcher.view().users.contains(passing), "the watcher's view: " + watcher.view().users);
                assertTrue(asker.view().users.contains("watcher-" + suffix));
            }
        }
    }

    @Test
    void aJoinStormCostsEachMemberABoundedNumberOfPresenceFramesAndEveryoneEndsUpRight() {
        int n = 200;
        List<ChatClient> clients = new ArrayList<>();
        List<String> users = new ArrayList<>();
        long start = System.currentTimeMillis();
        try {
            for (int i = 0; i < n; i++) {
                String user = String.format("u%03d-%s", i, suffix);
                users.add(user);
                ChatClient client = connect(user);
                // Every other client opts in to presence.diff; the rest get single events or a list.
                JsonObject join = new JsonObject().put("type", "join").put("room", room);
                if (i % 2 == 1) {
                    join.put("presence", "diff");
                }
                client.send(join);
                clients.add(client);
            }
            List<View> views = new ArrayList<>();
            for (ChatClient client : clients) {
                client.next("joined");
                // A client learns who was there before it from a presence query, then follows the changes.
                client.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "q"));
                views.add(new View());
            }
            long joinedAll = System.currentTimeMillis();
            // Each member learns everyone once the room's hold ends (at most the longest hold after the last join).
            Set<String> everyone = new TreeSet<>(users);
            for (int i = 0; i < n; i++) {
                int index = i;
                // No first poll delay: 200 members in turn would otherwise wait 100 ms each after everything arrived.
                await().pollDelay(Duration.ZERO).atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                    drain(clients.get(index), views.get(index), 10);
                    assertEquals(everyone, views.get(index).users, "client " + index + " knows everyone who joined");
                });
            }
            long elapsed = System.currentTimeMillis() - start;
            long intervals = elapsed / INTERVAL_MS + 2;
            for (int i = 0; i < n; i++) {
                View view = views.get(i);
                long bound = i % 2 == 1 ? intervals : intervals * CAP;
                assertTrue(view.presenceFrames <= bound, "client " + i + " got " + view.presenceFrames
                        + " presence frames for " + n + " joins in " + elapsed + " ms; at most " + bound + " expected");
            }
            assertTrue(views.get(0).presenceFrames < n - 1, "the first member did not get one frame per join: "
                    + views.get(0).presenceFrames + " (joins took " + (joinedAll - start) + " ms)");

            // Half of them leave at once: the others learn it in a bounded number of frames too.
            for (int i = 0; i < n; i += 2) {
                clients.get(i).close();
            }
            Set<String> remaining = new TreeSet<>();
            for (int i = 1; i < n; i += 2) {
                remaining.add(users.get(i));
            }
            for (int i = 1; i < n; i += 2) {
                View view = views.get(i);
                int before = view.presenceFrames;
                int index = i;
                await().pollDelay(Duration.ZERO).atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    drain(clients.get(index), view, 20);
                    assertEquals(remaining, view.users, "client " + index + " saw the leaves");
                });
                assertTrue(view.presenceFrames - before <= 10, "100 leaves in a few intervals cost a few frames, not 100: "
                        + (view.presenceFrames - before));
            }
        } finally {
            clients.forEach(ChatClient::close);
        }
    }

    @Test
    void aMemberThatAsksForNoPresenceGetsNoPresenceFramesYetCountsForOthersAndCanAsk() {
        String quietUser = "quiet-" + suffix;
        String watcherUser = "watcher-" + suffix;
        List<ChatClient> crowd = new ArrayList<>();
        try (ChatClient quiet = connect(quietUser); ChatClient watcher = connect(watcherUser)) {
            watcher.send(new JsonObject().put("type", "join").put("room", room));
            watcher.next("joined");
            quiet.send(new JsonObject().put("type", "join").put("room", room).put("presence", "none"));
            quiet.next("joined");
            View view = new View();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                drain(watcher, view, 20);
                assertTrue(view.users.contains(quietUser), "the others see the quiet member arrive: " + view.users);
            });

            // A crowd joins at once (more than twice the single events of an interval: the others get a full list even
            // if the joins straddle two intervals), then all of it leaves.
            Set<String> before = new TreeSet<>(view.users);
            Set<String> withCrowd = new TreeSet<>(before);
            for (int i = 0; i < 2 * CAP + 2; i++) {
                String user = String.format("crowd%d-%s", i, suffix);
                crowd.add(connect(user));
                withCrowd.add(user);
            }
            crowd.forEach(joiner -> joiner.send(new JsonObject().put("type", "join").put("room", room)));
            crowd.forEach(joiner -> joiner.next("joined"));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                drain(watcher, view, 20);
                assertEquals(withCrowd, view.users, "the watcher saw the crowd come");
            });
            crowd.forEach(ChatClient::close);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                drain(watcher, view, 20);
                assertEquals(before, view.users, "the watcher saw the crowd go");
            });

            // Everything the room sent before this message reached the quiet member before it: none of it was presence.
            watcher.send(new JsonObject().put("type", "send").put("room", room).put("text", "still here?").put("cid", "m"));
            List<String> types = new ArrayList<>();
            JsonObject frame;
            do {
                frame = quiet.next();
                types.add(frame.getString("type"));
            } while (!"message".equals(frame.getString("type")));
            assertEquals(List.of("message"), types, "the quiet member got the message and nothing else");

            quiet.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "q"));
            JsonObject answer = quiet.next("presence");
            assertEquals("q", answer.getString("cid"));
            assertEquals(new JsonArray().add(quietUser).add(watcherUser), answer.getJsonArray("users"), "a query is still answered");
        } finally {
            crowd.forEach(ChatClient::close);
        }
    }

    @Test
    void theFramesOfOnePresenceBatchReachAMemberInOneSocketWrite() {
        List<ChatClient> joiners = new ArrayList<>();
        try (ChatClient watcher = connect("watcher-" + suffix)) {
            watcher.send(new JsonObject().put("type", "join").put("room", room));
            watcher.next("joined");
            View view = new View();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                drain(watcher, view, 20);
                assertTrue(view.users.contains("watcher-" + suffix), "the watcher's own join was announced");
            });
            long framesBefore = metrics.framesSent();
            long flushesBefore = metrics.frameFlushes();

            // Five users join within one batch interval: the watcher gets five presence.join frames, published together.
            for (int i = 0; i < 5; i++) {
                ChatClient joiner = connect(String.format("burst%d-%s", i, suffix));
                joiner.send(new JsonObject().put("type", "join").put("room", room));
                joiners.add(joiner);
            }
            joiners.forEach(joiner -> joiner.next("joined"));
            int framesBeforeBurst = view.presenceFrames;
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                drain(watcher, view, 20);
                assertEquals(6, view.users.size(), "the watcher knows all five: " + view.users);
            });
            assertTrue(view.presenceFrames - framesBeforeBurst >= 2, "a batch carried several events");

            long frames = metrics.framesSent() - framesBefore;
            long flushes = metrics.frameFlushes() - flushesBefore;
            // One flush per frame would mean every presence.join went out in a write of its own.
            assertTrue(flushes < frames, frames + " frames went out in " + flushes + " socket writes: a batch should share one");
        } finally {
            joiners.forEach(ChatClient::close);
        }
    }

    @Test
    void aConnectionClosedWhileItsJoinIsInFlightLeavesNoPresenceBehind() {
        String user = "ghost-" + suffix;
        for (int i = 0; i < 30; i++) {
            ChatClient client = connect(user);
            client.send(new JsonObject().put("type", "join").put("room", room));
            client.close();
        }
        try (ChatClient observer = connect("observer-" + suffix)) {
            observer.send(new JsonObject().put("type", "join").put("room", room));
            observer.next("joined");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertFalse(presence.isLocallyPresent(room, user), "no membership of the closed connections is counted");
                assertFalse(presenceEntries().stream().anyMatch(m -> m.startsWith(user + "|")), "nothing in Redis either");
            });
        }
    }

    @Test
    void aJoinQueuedBehindAnotherWhenTheConnectionClosesIsDroppedNotHandled() {
        String user = "queued-" + suffix;
        String first = room + "-first";
        String second = room + "-second";
        ChatClient client = connect(user);
        ChatSession session = sessions.all().stream().filter(s -> user.equals(s.user())).findFirst().orElseThrow();
        try {
            // Redis stalls: the first join waits for it, the second waits behind the first, and then the client goes.
            redis.execute("CLIENT", "PAUSE", "3000", "ALL");
            client.send(new JsonObject().put("type", "join").put("room", first));
            client.send(new JsonObject().put("type", "join").put("room", second));
            await().atMost(Duration.ofSeconds(5)).until(() -> session.framesInFlight() == 2);
            client.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> !sessions.all().contains(session));
        } finally {
            redis.execute("CLIENT", "UNPAUSE");
        }
        // The first join finishes on a closed connection and undoes itself; the second is never handled.
        await().atMost(Duration.ofSeconds(10)).until(() -> session.framesInFlight() == 0);
        for (String joined : List.of(first, second)) {
            assertFalse(rooms.hasLocalMember(joined, user), "no member of the closed connection in " + joined);
            assertFalse(presence.isLocallyPresent(joined, user), "no presence of the closed connection in " + joined);
        }
    }

    @Test
    void aRejoinThatSpansAPresenceFlushAnnouncesNothing() {
        String user = "again-" + suffix;
        String marker = "marker-" + suffix;
        try (ChatClient client = connect(user); ChatClient observer = connect("watcher-" + suffix)) {
            observer.send(new JsonObject().put("type", "join").put("room", room));
            observer.next("joined");
            client.send(new JsonObject().put("type", "join").put("room", room));
            client.next("joined");
            observer.next(f -> "presence.join".equals(f.getString("type")) && user.equals(f.getString("user")));

            // Redis holds every script call for longer than a presence interval: the re-join's position read and the
            // flushes in between all wait, so a flush runs while the re-join is still in flight.
            redis.execute("CLIENT", "PAUSE", Long.toString(3 * INTERVAL_MS), "WRITE");
            client.send(new JsonObject().put("type", "join").put("room", room).put("since", 0).put("cid", "again"));
            assertEquals("again", client.next(f -> "joined".equals(f.getString("type")), Duration.ofSeconds(10)).getString("cid"));

            // A join after the re-join is announced after anything the re-join caused.
            try (ChatClient later = connect(marker)) {
                later.send(new JsonObject().put("type", "join").put("room", room));
                later.next("joined");
                JsonObject frame;
                do {
                    frame = observer.next(f -> f.getString("type").startsWith("presence"), Duration.ofSeconds(10));
                    assertFalse(frame.encode().contains(user), "the re-joining user was announced: " + frame);
                } while (!frame.encode().contains(marker));
            }
        }
    }

    @Test
    void aFailedRejoinLeavesNoPresenceBehind() {
        String user = "rejoin-" + suffix;
        try (ChatClient client = connect(user); ChatClient observer = connect("watcher-" + suffix)) {
            observer.send(new JsonObject().put("type", "join").put("room", room));
            observer.next("joined");
            client.send(new JsonObject().put("type", "join").put("room", room));
            client.next("joined");
            await().atMost(Duration.ofSeconds(10)).until(() -> presenceEntries().stream().anyMatch(m -> m.startsWith(user + "|")));

            // The room's counter goes missing (its epoch remains): the re-join is refused until a re-seed. A room nobody
            // posted in has no keys in Redis at all, so the room is given them first, as by a message.
            redis.execute("SET", "chat:{" + room + "}:epoch", "before-the-loss");
            redis.execute("DEL", "chat:{" + room + "}:seq");
            client.send(new JsonObject().put("type", "join").put("room", room).put("cid", "again"));
            assertEquals("unavailable", client.next("error").getString("code"));
            redis.execute("SET", "chat:generation", "test");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertFalse(presence.isLocallyPresent(room, user), "the failed re-join left the user out of the room");
                assertFalse(presenceEntries().stream().anyMatch(m -> m.startsWith(user + "|")));
            });
            assertEquals(user, observer.next(f -> "presence.leave".equals(f.getString("type"))).getString("user"));
        } finally {
            redis.execute("SET", "chat:generation", "test");
        }
    }

    @Test
    void typingStateGoesWithTheUsersLastConnection() {
        String user = "typist-" + suffix;
        int before = typing.trackedUsers();
        try (ChatClient client = connect(user); ChatClient second = connect(user)) {
            for (int i = 0; i < 5; i++) {
                String r = room + "-" + i;
                client.send(new JsonObject().put("type", "join").put("room", r));
                client.next("joined");
                client.send(new JsonObject().put("type", "typing").put("room", r));
            }
            client.send(new JsonObject().put("type", "ping"));
            client.next("pong");
            assertEquals(before + 1, typing.trackedUsers());
            client.close();
            second.send(new JsonObject().put("type", "ping"));
            second.next("pong");
            assertEquals(before + 1, typing.trackedUsers(), "kept while the user has another connection");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> typing.trackedUsers() == before);
    }

    @Test
    void readPositionsAreCoalescedToTheHighestPerRoom() {
        String user = "reader-" + suffix;
        long started = System.nanoTime();
        try (ChatClient client = connect(user)) {
            for (int seq = 1; seq <= 60; seq++) {
                client.send(new JsonObject().put("type", "read").put("room", room).put("seq", seq % 7 == 0 ? 1 : seq));
            }
            client.send(new JsonObject().put("type", "ping"));
            client.next("pong");
        }
        // At most one entry per flush interval the frames spanned (one if they all fit in one), each the highest so far.
        long intervals = Duration.ofNanos(System.nanoTime() - started).toMillis() / 500 + 2;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<JsonObject> reads = activityEntries(user, "read");
            assertEquals("60", reads.isEmpty() ? null : reads.get(0).getString("seq"), "the newest entry is the highest: " + reads);
            assertTrue(reads.size() <= Math.min(intervals, 59), reads.size() + " entries for 60 read frames in " + intervals
                    + " flush intervals: " + reads);
            for (int i = 0; i + 1 < reads.size(); i++) {
                assertTrue(Long.parseLong(reads.get(i).getString("seq")) > Long.parseLong(reads.get(i + 1).getString("seq")),
                        "a lower position is never written after a higher one: " + reads);
            }
        });
    }

    List<String> presenceEntries() {
        List<String> members = new ArrayList<>();
        for (Response member : redis.execute("ZRANGE", "chat:{" + room + "}:presence", "0", "-1")) {
            members.add(member.toString());
        }
        return members;
    }

    List<JsonObject> activityEntries(String user, String type) {
        List<JsonObject> found = new ArrayList<>();
        for (Response entry : redis.execute("XREVRANGE", "chat:activity", "+", "-", "COUNT", "5000")) {
            JsonObject fields = new JsonObject();
            Response values = entry.get(1);
            for (int i = 0; i + 1 < values.size(); i += 2) {
                fields.put(values.get(i).toString(), values.get(i + 1).toString());
            }
            if (user.equals(fields.getString("user")) && type.equals(fields.getString("type"))) {
                found.add(fields);
            }
        }
        return found;
    }
}
