package dev.chat.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.history.replay.UnflushedResponses;
import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageWriter;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The REST API's reads are bounded (chat.api, made small by {@link SmallBounds}): a bounded number run at once and wait,
 * the rest are refused at once (503); one user cannot hold more than its share (429), answers it has not taken included;
 * and a query runs only while the largest answer it can get still fits beside those that slow clients have not taken
 * (503). Refused requests are answered with the protocol's JSON error and Retry-After; the others are answered in full
 * once their turn comes.
 */
@QuarkusTest
@TestProfile(SmallBounds.class)
class ReadAdmissionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long MEGABYTE = 1024 * 1024;

    @TestHTTPResource("/")
    URI base;

    @Inject
    MessageWriter writer;

    @Inject
    Pool pool;

    @Inject
    UnflushedResponses unflushed;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void pastTheQueriesRunningAndWaitingARequestIsRefusedAtOnceAndTheOthersAreAnsweredInTurn() throws Exception {
        String room = stored(Gateway.uniqueRoom("admission"), 3, "m");
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        try (TableLock lock = TableLock.on(pool, "rooms")) {
            // One query runs (waiting for the lock), one waits for it, the third is refused while both are still pending.
            for (int i = 0; i < 3; i++) {
                calls.add(replay(Gateway.uniqueUser("reader"), room));
            }
            HttpResponse<String> refused = firstDone(calls);
            assertRefused(refused, 503, "unavailable");
            assertEquals(2, calls.stream().filter(call -> !call.isDone()).count(), "the other two wait for the database");
        }
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            HttpResponse<String> answer = answered(call);
            if (answer.statusCode() != 503) {
                assertEquals(200, answer.statusCode(), answer.body());
                assertEquals(3, new JsonObject(answer.body()).getJsonArray("messages").size());
            }
        }
    }

    @Test
    void aUserPastItsRequestsInFlightIsRefused429AndServedAgainOnceOneIsAnswered() throws Exception {
        String room = stored(Gateway.uniqueRoom("per-user"), 2, "m");
        String user = Gateway.uniqueUser("eager");
        List<CompletableFuture<HttpResponse<String>>> calls;
        try (TableLock lock = TableLock.on(pool, "rooms")) {
            calls = List.of(replay(user, room), rooms(user));
            HttpResponse<String> refused = firstDone(calls);
            assertRefused(refused, 429, "rate_limited");
        }
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            int status = answered(call).statusCode();
            assertTrue(status == 429 || status == 200, "the admitted one is answered: " + status);
        }
        // Nothing of the user is left held (its slot is given back just after its answer left, on the loop that wrote it).
        awaitServed(user, room);
    }

    @Test
    void whileAnswersUnreadBySlowClientsHoldTheBudgetOnlyAnswersThatStillFitAreServed() throws Exception {
        // 500 messages of 4,000 control characters: one page of about 12 MB (each is written as \u0001), more than socket
        // buffers take.
        String heavy = stored(Gateway.uniqueRoom("heavy"), 500, "\u0001".repeat(4000));
        String light = stored(Gateway.uniqueRoom("light"), 1, "m");
        String slow = Gateway.uniqueUser("slow");
        try (Socket stalled = askAndReadNothing(slow, heavy)) {
            // Megabytes of it wait in the service (the kernel takes a few of them).
            await().atMost(WAIT).until(() -> unflushed.bytes() > 4 * MEGABYTE);
            // A page of up to 500 messages could be 12 MB: it no longer fits the budget (16 MiB here).
            assertRefused(answered(replay(Gateway.uniqueUser("other"), light, 500)), 503, "unavailable");
            // A default page (50) or a room list still fits: clients that ask for what they need are still served.
            assertEquals(200, answered(replay(Gateway.uniqueUser("other"), light, 50)).statusCode());
            assertEquals(200, answered(rooms(Gateway.uniqueUser("other"))).statusCode());
            // The answer it has not taken counts as its request in flight: a client cannot leave one unread page after
            // another and take the budget alone.
            assertRefused(answered(replay(slow, light, 50)), 429, "rate_limited");

            JsonObject page = new JsonObject(readAnswer(stalled.getInputStream()));
            assertEquals(500, page.getJsonArray("messages").size(), "the slow client still gets its whole page");
            await().atMost(WAIT).until(() -> unflushed.bytes() == 0);
            assertEquals(200, answered(replay(Gateway.uniqueUser("other"), light, 500)).statusCode());
            // Its page taken, it is served again (its slot is given back just after the last bytes left, on the loop that wrote them).
            awaitServed(slow, light);
        }
        // A client that closes instead of reading releases what it held, its request in flight too.
        try (Socket stalled = askAndReadNothing(slow, heavy)) {
            await().atMost(WAIT).until(() -> unflushed.bytes() > 4 * MEGABYTE);
        }
        await().atMost(WAIT).until(() -> unflushed.bytes() == 0);
        awaitServed(slow, light);
    }

    @Test
    void aClientThatLeavesEvenADefaultPageUnreadHoldsItsShareUntilItReadsIt() throws Exception {
        // 50 messages of 4,000 control characters: a default page of about 1.2 MB, which a kernel left to autotune its
        // send buffer takes whole (the answer would count as taken, and the user could ask again and again).
        String room = stored(Gateway.uniqueRoom("default-page"), 50, "\u0001".repeat(4000));
        String light = stored(Gateway.uniqueRoom("light"), 1, "m");
        String user = Gateway.uniqueUser("hoarder");
        try (Socket stalled = askAndReadNothing(user, room)) {
            await().atMost(WAIT).until(() -> unflushed.bytes() > 0);
            assertRefused(answered(replay(user, light, 50)), 429, "rate_limited");
            assertEquals(50, new JsonObject(readAnswer(stalled.getInputStream())).getJsonArray("messages").size());
            awaitServed(user, light);
        }
    }

    private String stored(String room, int count, String text) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= count; seq++) {
            messages.add(new ChatMessage(room, seq, "alice", text, Gateway.ts(seq), null));
        }
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(room, (long) count)))
                .await().atMost(WAIT);
        return room;
    }

    private CompletableFuture<HttpResponse<String>> replay(String user, String room) {
        return replay(user, room, 500);
    }

    private CompletableFuture<HttpResponse<String>> replay(String user, String room, int limit) {
        return get(user, "rooms/" + room + "/messages?limit=" + limit);
    }

    private static HttpResponse<String> answered(CompletableFuture<HttpResponse<String>> call) throws Exception {
        return call.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Waits until {@code user} is served a default page of {@code room} again: its slot is given back. */
    private void awaitServed(String user, String room) {
        await().atMost(WAIT).until(() -> answered(replay(user, room, 50)).statusCode() == 200);
    }

    private CompletableFuture<HttpResponse<String>> rooms(String user) {
        return get(user, "users/me/rooms");
    }

    private CompletableFuture<HttpResponse<String>> get(String user, String path) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + TestTokens.valid(user)).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private static HttpResponse<String> firstDone(List<CompletableFuture<HttpResponse<String>>> calls) throws Exception {
        return (HttpResponse<String>) CompletableFuture.anyOf(calls.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static void assertRefused(HttpResponse<String> answer, int status, String code) {
        assertEquals(status, answer.statusCode(), answer.body());
        assertEquals(code, new JsonObject(answer.body()).getString("code"));
        assertEquals("1", answer.headers().firstValue("Retry-After").orElse(null), "worth a retry, not at once");
    }

    /** A client with a small receive window that asks for a page (the most messages it may hold) and reads nothing of it. */
    private Socket askAndReadNothing(String user, String room) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()));
        socket.getOutputStream().write(("GET /rooms/" + room + "/messages?limit=500 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + TestTokens.valid(user) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** Reads one HTTP answer (its body whole, or in chunks) and returns its body. */
    private static String readAnswer(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        String head = line(data, "\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        var length = head.lines().filter(line -> line.toLowerCase().startsWith("content-length:"))
                .map(line -> Integer.parseInt(line.substring(line.indexOf(':') + 1).trim())).findFirst();
        if (length.isPresent()) {
            body.write(data.readNBytes(length.get()));
        } else {
            for (int size; (size = Integer.parseInt(line(data, "\r\n").trim(), 16)) > 0;) {
                body.write(data.readNBytes(size));
                line(data, "\r\n");
            }
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    private static String line(DataInputStream data, String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            text.append((char) data.readUnsignedByte());
        }
        return text.toString();
    }

    /** A table locked against every read, in a transaction of its own, until closed. */
    private record TableLock(SqlConnection connection) implements AutoCloseable {

        static TableLock on(Pool pool, String table) {
            SqlConnection connection = pool.getConnection().await().atMost(WAIT);
            connection.query("BEGIN").execute().await().atMost(WAIT);
            connection.query("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE").execute().await().atMost(WAIT);
            return new TableLock(connection);
        }

        @Override
        public void close() {
            connection.query("COMMIT").execute().await().atMost(WAIT);
            connection.close().await().atMost(WAIT);
        }
    }
}
