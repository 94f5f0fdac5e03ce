package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A presence query scans its room in Redis, so a user's queries share one budget per gateway, over every connection
 * of the user and the REST API alike (5/s, burst 30), besides each connection's own (2/s, burst 30): twenty
 * connections of one user no longer ask twenty times as much.
 */
@QuarkusTest
class PresenceQueryBudgetTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Test
    void aUsersQueriesOverSeveralConnectionsShareOneBudget() {
        String user = "asker-" + UUID.randomUUID().toString().substring(0, 8);
        String room = "budget-" + user;
        List<ChatClient> connections = new ArrayList<>();
        try {
            for (int c = 0; c < 3; c++) {
                connections.add(ChatClient.welcomed(vertx, base, user));
            }
            // Twenty each: within every connection's own burst of 30, twice the user's.
            for (ChatClient connection : connections) {
                for (int q = 0; q < 20; q++) {
                    connection.send(new JsonObject().put("type", "presence").put("room", room).put("cid", "q" + q));
                }
            }
            int answered = 0;
            int refusedForTheUser = 0;
            for (ChatClient connection : connections) {
                for (int q = 0; q < 20; q++) {
                    JsonObject reply = connection.next(f -> "presence".equals(f.getString("type")) || "error".equals(f.getString("type")));
                    if ("presence".equals(reply.getString("type"))) {
                        answered++;
                    } else {
                        assertEquals("rate_limited", reply.getString("code"), reply::encode);
                        assertTrue(reply.getString("message").contains("for this user"), reply::encode);
                        refusedForTheUser++;
                    }
                }
            }
            assertEquals(60, answered + refusedForTheUser);
            assertTrue(answered >= 30, "the user's burst is answered: " + answered + " of 60");
            assertTrue(refusedForTheUser > 0, "past it, refused although each connection was within its own budget");
        } finally {
            connections.forEach(ChatClient::close);
        }
    }
}
