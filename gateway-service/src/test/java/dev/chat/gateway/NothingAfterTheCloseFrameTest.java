package dev.chat.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * RFC 6455: after its close frame an endpoint sends no data frame. A member the gateway closes stays in its rooms until
 * the closing handshake ends (the client answers, or Vert.x's closing timeout), and the rooms go on meanwhile: none of
 * their frames reaches it after its close frame.
 */
@QuarkusTest
class NothingAfterTheCloseFrameTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    @Inject
    RedisDataSource redis;

    @Test
    void aMemberClosedForAMessageTooLargeGetsNoneOfItsRoomsMessagesAfterItsCloseFrame() throws Exception {
        redis.execute("SET", "chat:generation", "test", "NX");
        String room = "after-close-" + UUID.randomUUID().toString().substring(0, 8);
        try (Socket socket = new Socket(base.getHost(), base.getPort());
                ChatClient talker = ChatClient.welcomed(vertx, base, "talker")) {
            RawWebSocket.upgrade(socket, Tokens.forUser("oversender"));
            socket.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            RawWebSocket.readUntil(in, "welcome");
            RawWebSocket.sendText(out, new JsonObject().put("type", "join").put("room", room).encode());
            RawWebSocket.readUntil(in, "joined");
            talker.join(room);

            // Above the message limit: the gateway closes with 1009, on a failure that websockets-next reports (not a close
            // the session started itself).
            RawWebSocket.sendMessageAboveTheLimit(out);
            assertEquals(1009, RawWebSocket.readUntilClose(in));

            // The handshake is still open (this client has not answered), so it is still a member: the room goes on.
            talker.send(new JsonObject().put("type", "send").put("room", room).put("text", "after the close").put("cid", "c1"));
            talker.next("ack");
            assertEquals("after the close", talker.next("message").getString("text"));

            // Answering the close ends the handshake; the gateway closes the socket, so whatever it wrote after its close
            // frame comes before the end of the stream.
            RawWebSocket.sendClose(out, 1000);
            assertEquals(List.of(), framesUntilTheEnd(in), "frames after the close frame");
        }
    }

    private static List<String> framesUntilTheEnd(DataInputStream in) throws IOException {
        List<String> frames = new ArrayList<>();
        while (true) {
            try {
                RawWebSocket.Frame frame = RawWebSocket.Frame.read(in);
                frames.add(frame.opcode() + ":" + frame.text());
            } catch (EOFException end) {
                return frames;
            }
        }
    }
}
