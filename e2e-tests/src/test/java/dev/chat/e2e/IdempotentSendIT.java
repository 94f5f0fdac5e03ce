package dev.chat.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Guarantee 3 across gateways: the same {@code cid} from the same user yields one message and the
 * same {@code ack} (same seq and ts) however often, and on whichever gateway, it is sent; every
 * client sees the message once and history stores it once.
 */
@ExtendWith(SharedSystem.Provider.class)
class IdempotentSendIT {

    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;

    String room;

    @BeforeAll
    static void useTheSharedSystem(SharedSystem system) {
        history = system.history;
        gatewayA = system.gatewayA;
        gatewayB = system.gatewayB;
    }

    @BeforeEach
    void newRoom() {
        room = "idem-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void theSameCidTwiceGivesOneMessageAndTwoIdenticalAcksAlsoAfterMovingToTheOtherGateway() {
        try (WsClient watcherA = WsClient.connect("watcher-a", gatewayA.url());
                WsClient watcherB = WsClient.connect("watcher-b", gatewayB.url())) {
            watcherA.join(room);
            watcherB.join(room);

            ObjectNode first;
            try (WsClient alice = WsClient.connect("alice", gatewayA.url())) {
                alice.join(room);
                first = send(alice, "hello", "c-1");
                assertEquals(1, first.path("seq").asLong());
                assertEquals(first, send(alice, "hello", "c-1"), "a resend on the same connection gets the original ack");
            }
            // Alice comes back on the other gateway, where the first ack might never have reached her.
            try (WsClient alice = WsClient.connect("alice", gatewayB.url())) {
                alice.send(WsClient.frame("join").put("room", room).put("since", 0).put("cid", "j"));
                assertEquals(true, alice.next("joined").path("recovered").asBoolean());
                assertEquals(first, send(alice, "hello", "c-1"), "a resend on another gateway gets the original ack");
                // A different text under the same cid is still the same send: the first message stands.
                assertEquals(first, send(alice, "hello again?", "c-1"));
                ObjectNode next = send(alice, "next", "c-2");
                assertEquals(2, next.path("seq").asLong(), "no message was created in between");
                List<ObjectNode> seen = alice.messages(room, 2);
                assertEquals(List.of("hello", "next"), seen.stream().map(m -> m.path("text").asText()).toList(), "replayed once, then live");
            }
            for (WsClient watcher : List.of(watcherA, watcherB)) {
                List<ObjectNode> seen = watcher.messages(room, 2);
                assertEquals(List.of(1L, 2L), seen.stream().map(m -> m.path("seq").asLong()).toList(), watcher.user);
                assertEquals(List.of("c-1", "c-2"), seen.stream().map(m -> m.path("cid").asText()).toList(), watcher.user);
            }
            assertStored(List.of("1\thello\tc-1", "2\tnext\tc-2"));
        }
    }

    @Test
    void aSendLostWithItsConnectionAndResentElsewhereIsStoredOnce() {
        try (WsClient watcher = WsClient.connect("watcher", gatewayB.url())) {
            watcher.join(room);
            try (WsClient bob = WsClient.connect("bob", gatewayA.url())) {
                bob.join(room);
                // Sent, and the connection dropped before any answer could be read: accepted or not, nobody knows.
                bob.send(WsClient.frame("send").put("room", room).put("text", "maybe").put("cid", "lost-1"));
                bob.abort();
            }
            try (WsClient bob = WsClient.connect("bob", gatewayB.url())) {
                bob.join(room);
                ObjectNode ack = send(bob, "maybe", "lost-1");
                assertEquals(1, ack.path("seq").asLong());
                assertEquals(ack, send(bob, "maybe", "lost-1"));
            }
            assertEquals("lost-1", watcher.messages(room, 1).get(0).path("cid").asText());
            assertStored(List.of("1\tmaybe\tlost-1"));
        }
    }

    @Test
    void theSameCidFromTwoConnectionsOnTwoGatewaysAtOnceIsOneMessage() {
        try (WsClient onA = WsClient.connect("carol", gatewayA.url()); WsClient onB = WsClient.connect("carol", gatewayB.url());
                WsClient dave = WsClient.connect("dave", gatewayA.url())) {
            onA.join(room);
            onB.join(room);
            dave.join(room);
            for (int i = 1; i <= 20; i++) {
                String cid = "race-" + i;
                CompletableFuture<ObjectNode> a = CompletableFuture.supplyAsync(() -> send(onA, "race " + cid, cid));
                CompletableFuture<ObjectNode> b = CompletableFuture.supplyAsync(() -> send(onB, "race " + cid, cid));
                assertEquals(a.join(), b.join(), "both connections get the one ack of " + cid);
                assertEquals(i, a.join().path("seq").asLong());
            }
            // Another user's cid is another send, even if it is spelled the same.
            assertEquals(21, send(dave, "mine", "race-1").path("seq").asLong());
            List<ObjectNode> seen = dave.messages(room, 21);
            for (int i = 0; i < 21; i++) {
                assertEquals(i + 1, seen.get(i).path("seq").asLong());
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> storedRows().size() == 21);
            assertEquals(List.of("carol\t20", "dave\t1"), OwnPostgres.query(RedisCli.sharedDatabase(),
                    "select sender, count(distinct cid) from messages where room = '" + room + "' group by sender order by sender"));
        }
    }

    /** Sends and returns the answer to it: an ack (or an error, which fails the equality checks). */
    private ObjectNode send(WsClient client, String text, String cid) {
        return client.answer(room, text, cid);
    }

    /** The rows history stored for the room (the replay API does not give the cid). */
    private List<String> storedRows() {
        return OwnPostgres.query(RedisCli.sharedDatabase(), "select seq, text, cid from messages where room = '" + room + "' order by seq");
    }

    private void assertStored(List<String> rows) {
        await().atMost(Duration.ofSeconds(30)).until(() -> storedRows().size() >= rows.size());
        assertEquals(rows, storedRows());
    }
}
