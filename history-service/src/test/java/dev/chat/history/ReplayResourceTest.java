package dev.chat.history;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The history API of PROTOCOL.md: paging, validation and access rules, with JSON errors. */
@QuarkusTest
class ReplayResourceTest {

    @Inject
    MessageWriter writer;

    String room;

    @BeforeEach
    void seed() {
        room = Gateway.uniqueRoom("replay");
        store(room, 12);
    }

    private void store(String room, int count) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= count; seq++) {
            messages.add(new ChatMessage(room, seq, seq % 2 == 0 ? "bob" : "alice", "message " + seq, Gateway.ts(seq), "c" + seq));
        }
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(room, (long) count)))
                .await().atMost(Duration.ofSeconds(10));
    }

    private RequestSpecification as(String user) {
        return given().auth().oauth2(TestTokens.valid(user));
    }

    @Test
    void aRequestBodyAboveSixteenKilobytesIsRefusedNotBuffered() {
        // The API takes no bodies; Quarkus's default would buffer 10 MiB of one.
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /rooms/" + room + "/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + TestTokens.valid("carol") + "\r\nContent-Length: " + (16 * 1024 + 1) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 413 Request Entity Too Large", statusLine, "refused before the body was sent");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        as("carol").pathParam("room", room).get("/rooms/{room}/messages").then().statusCode(200);
    }

    @Test
    void latestPageIsAscendingWithHasMore() {
        as("carol").pathParam("room", room).queryParam("limit", 5).get("/rooms/{room}/messages")
                .then().statusCode(200)
                .body("room", equalTo(room))
                .body("messages.seq", contains(8, 9, 10, 11, 12))
                .body("hasMore", equalTo(true))
                .body("messages[4].room", equalTo(room))
                .body("messages[4].from", equalTo("bob"))
                .body("messages[4].text", equalTo("message 12"))
                .body("messages[4].ts", equalTo(Gateway.ts(12)))
                .body("messages[4]", not(hasKey("cid")));
        as("carol").pathParam("room", room).get("/rooms/{room}/messages")
                .then().statusCode(200)
                .body("messages.size()", equalTo(12))
                .body("messages[0].seq", equalTo(1))
                .body("hasMore", equalTo(false));
    }

    @Test
    void pagesNeverGoPastTheContiguouslyStoredPosition() {
        String gappy = Gateway.uniqueRoom("gappy");
        // Seqs 1..5 and 7 are stored, 6 is still on its way: the stored position is 5.
        List<ChatMessage> first = new ArrayList<>();
        for (long seq : new long[] { 1, 2, 3, 4, 5, 7 }) {
            first.add(new ChatMessage(gappy, seq, "alice", "m" + seq, Gateway.ts(seq), null));
        }
        writer.write(new MessageBatch(first, first.stream().map(m -> false).toList(), Map.of(gappy, 5L))).await().atMost(Duration.ofSeconds(10));

        // Neither an `after` page nor the latest page shows 7 before 6 is there: a client would skip 6 for good.
        as("carol").pathParam("room", gappy).queryParam("after", 3).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(4, 5)).body("hasMore", equalTo(false)).body("storedThrough", equalTo(5));
        as("carol").pathParam("room", gappy).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(1, 2, 3, 4, 5)).body("storedThrough", equalTo(5));
        as("carol").pathParam("room", gappy).queryParam("before", 100).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(1, 2, 3, 4, 5));

        ChatMessage six = new ChatMessage(gappy, 6, "bob", "m6", Gateway.ts(6), null);
        writer.write(new MessageBatch(List.of(six), List.of(false), Map.of(gappy, 7L))).await().atMost(Duration.ofSeconds(10));
        as("carol").pathParam("room", gappy).queryParam("after", 5).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(6, 7)).body("storedThrough", equalTo(7));
    }

    @Test
    void afterPagesForward() {
        as("carol").pathParam("room", room).queryParam("after", 0).queryParam("limit", 5).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(1, 2, 3, 4, 5)).body("hasMore", equalTo(true));
        as("carol").pathParam("room", room).queryParam("after", 5).queryParam("limit", 5).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(6, 7, 8, 9, 10)).body("hasMore", equalTo(true));
        as("carol").pathParam("room", room).queryParam("after", 10).queryParam("limit", 5).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(11, 12)).body("hasMore", equalTo(false));
        as("carol").pathParam("room", room).queryParam("after", 12).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages", empty()).body("hasMore", equalTo(false));
    }

    @Test
    void beforePagesBackward() {
        as("carol").pathParam("room", room).queryParam("before", 6).queryParam("limit", 3).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(3, 4, 5)).body("hasMore", equalTo(true));
        as("carol").pathParam("room", room).queryParam("before", 3).queryParam("limit", 5).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(1, 2)).body("hasMore", equalTo(false));
        as("carol").pathParam("room", room).queryParam("before", 1).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages", empty()).body("hasMore", equalTo(false));
        as("carol").pathParam("room", room).queryParam("before", 100).queryParam("limit", 2).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(11, 12)).body("hasMore", equalTo(true));
    }

    @Test
    void limitBounds() {
        badRequest(as("carol").pathParam("room", room).queryParam("limit", 0));
        badRequest(as("carol").pathParam("room", room).queryParam("limit", 501));
        badRequest(as("carol").pathParam("room", room).queryParam("limit", "ten"));
        // An empty parameter counts as not given.
        as("carol").pathParam("room", room).get("/rooms/{room}/messages?limit=")
                .then().statusCode(200).body("messages.size()", equalTo(12));
        as("carol").pathParam("room", room).queryParam("limit", 500).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.size()", equalTo(12));
        as("carol").pathParam("room", room).queryParam("limit", 1).get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(12)).body("hasMore", equalTo(true));
    }

    @Test
    void badPositions() {
        badRequest(as("carol").pathParam("room", room).queryParam("after", -1));
        badRequest(as("carol").pathParam("room", room).queryParam("after", "abc"));
        badRequest(as("carol").pathParam("room", room).queryParam("before", "1.5"));
        badRequest(as("carol").pathParam("room", room).queryParam("after", 1).queryParam("before", 5));
    }

    @Test
    void badRoomNames() {
        badRequest(as("carol").pathParam("room", "no spaces"));
        badRequest(as("carol").pathParam("room", "x".repeat(65)));
        badRequest(as("carol").pathParam("room", "dm:zed:carol"));
        badRequest(as("carol").pathParam("room", "dm:carol"));
    }

    @Test
    void unknownRoomIsNotFound() {
        as("carol").pathParam("room", Gateway.uniqueRoom("nothing")).get("/rooms/{room}/messages")
                .then().statusCode(404).contentType("application/json").body("code", equalTo("not_found"));
    }

    @Test
    void directMessagesOnlyForTheirParticipants() {
        String a = Gateway.uniqueRoom("a");
        String b = Gateway.uniqueRoom("b");
        String dm = "dm:" + a + ":" + b;
        store(dm, 2);
        as(a).pathParam("room", dm).get("/rooms/{room}/messages").then().statusCode(200).body("messages.seq", contains(1, 2));
        as(b).pathParam("room", dm).get("/rooms/{room}/messages").then().statusCode(200).body("messages.seq", contains(1, 2));
        as("mallory").pathParam("room", dm).get("/rooms/{room}/messages")
                .then().statusCode(403).contentType("application/json").body("code", equalTo("forbidden"));
        // Refused before looking: no hint whether such a conversation exists.
        as("mallory").pathParam("room", "dm:" + a + ":zzz-" + b).get("/rooms/{room}/messages").then().statusCode(403);
    }

    @Test
    void tokenMayComeAsQueryParameter() {
        given().queryParam("access_token", TestTokens.valid("carol")).pathParam("room", room).queryParam("limit", 2)
                .get("/rooms/{room}/messages")
                .then().statusCode(200).body("messages.seq", contains(11, 12));
    }

    @Test
    void missingOrInvalidTokensAreUnauthorized() {
        for (RequestSpecification request : List.of(given(),
                given().auth().oauth2(TestTokens.expired("carol")),
                given().auth().oauth2(TestTokens.forged("carol")),
                given().auth().oauth2(TestTokens.otherIssuer("carol")),
                given().auth().oauth2("not-a-jwt"),
                // Signed, but its subject is no user id a gateway would accept.
                given().auth().oauth2(TestTokens.valid("a b/../x")),
                given().queryParam("access_token", TestTokens.forged("carol")))) {
            request.pathParam("room", room).get("/rooms/{room}/messages")
                    .then().statusCode(401)
                    .contentType("application/json")
                    .body("code", equalTo("unauthorized"))
                    .body("message", not(empty()));
        }
    }

    private static void badRequest(RequestSpecification request) {
        request.get("/rooms/{room}/messages")
                .then().statusCode(400)
                .contentType("application/json")
                .body("code", equalTo("bad_request"));
    }
}
