package dev.chat.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A user's gateway keeps the order of a bounded number of direct-message rooms (here 2) and remembers where a bounded
 * number of set-aside ones stood (here 1). A set-aside room goes on after what it delivered; a forgotten one is
 * reloaded (recovered: false), never delivered twice.
 */
@QuarkusTest
@TestProfile(IndependentSettings.class)
class DirectRoomsBoundTest {

    public static class FewDirectRooms implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The Redis socket setting too: a key the gateway's configuration must know, or start-up refuses it.
            return Map.of("chat.limits.direct-rooms-ordered", "2", "chat.limits.direct-rooms-remembered", "1",
                    "chat.redis-tcp-user-timeout", "20s");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;


    private final String suffix = UUID.randomUUID().toString().substring(0, 6);

    @Test
    void aSetAsideRoomGoesOnAfterWhatItDelivered() {
        String alice = "alice-" + suffix;
        try (ChatClient client = ChatClient.welcomed(vertx, base, alice)) {
            for (String to : new String[] {"b1", "b2", "b3"}) {
                assertEchoed(client, alice, to + "-" + suffix, "first to " + to, 1);
            }
            // b1 was set aside when b3 came.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(2.0, 1.0), rooms()));
            // It goes on at seq 2, and seq 1 is not delivered again; b2 is set aside in its place.
            assertEchoed(client, alice, "b1-" + suffix, "second to b1", 2);
            assertEchoed(client, alice, "b1-" + suffix, "third to b1", 3);
            assertEquals(List.of(2.0, 1.0), rooms());
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(0.0, 0.0), rooms(), "a user who left holds nothing"));
    }

    @Test
    void aForgottenRoomIsReloadedNotDeliveredTwice() {
        String carol = "carol-" + suffix;
        try (ChatClient client = ChatClient.welcomed(vertx, base, carol)) {
            for (String to : new String[] {"c1", "c2", "c3", "c4"}) {
                assertEchoed(client, carol, to + "-" + suffix, "first to " + to, 1);
            }
            // c1 was set aside, then forgotten when c2 was: its next message comes as a reload up to it.
            String room = dm(carol, "c1-" + suffix);
            client.send(new JsonObject().put("type", "send").put("to", "c1-" + suffix).put("text", "second to c1").put("cid", "c1-2"));
            assertEquals(2, client.next("ack").getLong("seq"));
            JsonObject next = client.next(frame -> room.equals(frame.getString("room")) && !"ack".equals(frame.getString("type")));
            assertEquals("joined", next.getString("type"), "a reload, not a repeat: " + next);
            assertFalse(next.getBoolean("recovered"));
            assertEquals(2, next.getLong("seq"), "the reload reaches the message");
            // And on from there, live.
            assertEchoed(client, carol, "c1-" + suffix, "third to c1", 3);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(0.0, 0.0), rooms(), "a user who left holds nothing"));
    }

    /** The gateway's direct-message rooms with an order and set aside, over all connected users, as its /q/metrics says. */
    private static List<Double> rooms() {
        String metrics = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return List.of(gauge(metrics, "ordered"), gauge(metrics, "set_aside"));
    }

    private static double gauge(String metrics, String state) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith("chat_gateway_direct_rooms{") && line.contains("state=\"" + state + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no chat_gateway_direct_rooms{state=\"" + state + "\"} in /q/metrics");
    }

    /** Sends a direct message and expects the next frame of its room on the sender's own connection to be that message. */
    private static void assertEchoed(ChatClient client, String from, String to, String text, long seq) {
        String room = dm(from, to);
        client.send(new JsonObject().put("type", "send").put("to", to).put("text", text).put("cid", to + "-" + seq));
        JsonObject ack = client.next("ack");
        assertEquals(seq, ack.getLong("seq"));
        JsonObject message = client.next(frame -> room.equals(frame.getString("room")) && !"ack".equals(frame.getString("type")));
        assertEquals("message", message.getString("type"), "the message itself: " + message);
        assertEquals(text, message.getString("text"));
        assertEquals(seq, message.getLong("seq"), "in order, once");
    }

    private static String dm(String a, String b) {
        return a.compareTo(b) < 0 ? "dm:" + a + ":" + b : "dm:" + b + ":" + a;
    }
}
