package dev.chat.load.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ChatWireTest {

    private final ChatWire wire = new ChatWire();

    @Test
    void welcomeMeansReady() throws Exception {
        assertEquals("ready", wire.read("{\"type\":\"welcome\",\"user\":\"u\",\"node\":\"a\"}", "t").type());
    }

    @Test
    void messageFieldsAreReadAndNestedValuesSkipped() throws Exception {
        Frame f = wire.read("{\"type\":\"message\",\"extra\":{\"a\":[1,2]},\"room\":\"r\",\"seq\":42,\"from\":\"u\",\"text\":\"L1 5 x\","
                + "\"ts\":99,\"cid\":null}", "t");
        assertEquals(new Frame("message", "r", 42, "", null, null, "L1 5 x", 99), f);
    }

    @Test
    void errorsKeepCodeAndCid() throws Exception {
        Frame f = wire.read("{\"type\":\"error\",\"code\":\"unavailable\",\"message\":\"m\",\"cid\":\"s9\"}", "t");
        assertEquals("unavailable", f.code());
        assertEquals("s9", f.cid());
    }

    @Test
    void joinsAskForPresenceEventsByDefaultAndForBatchedDiffsOrNoneWhenTold() throws Exception {
        assertFalse(new JsonObject(wire.join("r", "j1")).containsKey("presence"), "the protocol's default");
        JsonObject diff = new JsonObject(new ChatWire("diff").join("r", "j1"));
        assertEquals("diff", diff.getString("presence"));
        assertEquals("r", diff.getString("room"));
        assertEquals("j1", diff.getString("cid"));
        assertEquals("none", new JsonObject(new ChatWire("none").join("r", "j2")).getString("presence"));
    }

    @Test
    void framesAreValidJsonWithEscapedText() throws Exception {
        Frame back = FrameParser.parseObject(wire.send("r", "a\"b\\c\n", "s1"));
        assertEquals("send", back.type());
        assertEquals("a\"b\\c\n", back.text());
        assertEquals("join", FrameParser.parseObject(wire.join("r", "j1")).type());
    }

    @Test
    void notJsonOrNoTypeIsAnError() {
        assertThrows(IOException.class, () -> wire.read("[1]", "t"));
        assertThrows(IOException.class, () -> wire.read("{\"room\":\"r\"}", "t"));
        assertThrows(IOException.class, () -> wire.read("{\"type\":\"x\"", "t"));
    }
}
