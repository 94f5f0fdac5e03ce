package dev.chat.load.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EngineIoTest {

    private final SocketIoWire wire = new SocketIoWire();

    @Test
    void openPacketIsAnsweredWithConnectCarryingTheToken() throws Exception {
        Frame f = wire.read("0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}", "tok");
        assertEquals("reply", f.type());
        assertEquals("40{\"token\":\"tok\"}", f.text());
    }

    @Test
    void pingIsAnsweredWithPong() throws Exception {
        assertEquals("3", wire.read("2", "t").text());
        assertEquals("3probe", wire.read("2probe", "t").text());
    }

    @Test
    void connectAckMakesTheClientReadyAndConnectErrorRefuses() throws Exception {
        assertEquals("ready", wire.read("40{\"sid\":\"x\"}", "t").type());
        Frame refused = wire.read("44{\"message\":\"unauthorized\"}", "t");
        assertEquals("refused", refused.type());
        assertEquals("connect_error", refused.code());
    }

    @Test
    void eventsDecodeToFrames() throws Exception {
        Frame m = wire.read("42[\"message\",{\"room\":\"r1\",\"seq\":7,\"origin\":\"pa\",\"from\":\"u\",\"text\":\"hi\",\"ts\":5,\"cid\":\"s3\"}]", "t");
        assertEquals(new Frame("message", "r1", 7, "pa", "s3", null, "hi", 5), m);
        Frame ack = wire.read("42[\"ack\",{\"cid\":\"s3\",\"room\":\"r1\",\"seq\":7,\"origin\":\"pa\",\"ts\":5}]", "t");
        assertEquals("ack", ack.type());
        assertEquals(7, ack.seq());
    }

    @Test
    void packetFieldsNamespaceAndAckId() {
        EngineIo.Packet p = EngineIo.decode("42/admin,13[\"x\",{}]");
        assertEquals(EngineIo.MESSAGE, p.engineType());
        assertEquals(EngineIo.EVENT, p.socketType());
        assertEquals("/admin", p.namespace());
        assertEquals(13, p.ackId());
        assertEquals("[\"x\",{}]", p.payload());
        EngineIo.Packet q = EngineIo.decode("43[\"ok\"]");
        assertEquals(EngineIo.ACK, q.socketType());
        assertEquals("/", q.namespace());
        assertEquals(-1, q.ackId());
    }

    @Test
    void encodesEventsAndConnect() {
        assertEquals("42[\"join\",{\"room\":\"r\"}]", EngineIo.event("join", "{\"room\":\"r\"}"));
        assertEquals("40", EngineIo.connect(null));
        assertEquals("42[\"send\",{\"room\":\"r\",\"text\":\"a \\\"q\\\"\",\"cid\":\"s1\"}]", wire.send("r", "a \"q\"", "s1"));
    }

    @Test
    void garbageIsRefusedNotGuessed() {
        assertThrows(IllegalArgumentException.class, () -> EngineIo.decode(""));
        assertThrows(IllegalArgumentException.class, () -> EngineIo.decode("9x"));
        assertThrows(IllegalArgumentException.class, () -> EngineIo.decode("4"));
        assertThrows(IllegalArgumentException.class, () -> EngineIo.decode("451-[\"bin\",{}]"));
    }
}
