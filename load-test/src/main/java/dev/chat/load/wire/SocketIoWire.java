package dev.chat.load.wire;

import java.io.IOException;

/**
 * Socket.IO v4 on the plain WebSocket client: answers the Engine.IO open packet with a CONNECT carrying
 * the token, pings with pongs, and maps the peer's events (joined, ack, message, error) onto frames.
 */
public final class SocketIoWire implements Wire {

    @Override
    public String name() {
        return "socketio";
    }

    @Override
    public String defaultPath() {
        return EngineIo.PATH;
    }

    @Override
    public String upgradeQuery(String token) {
        return "";
    }

    @Override
    public String join(String room, String cid) {
        return EngineIo.event("join", "{\"room\":\"" + room + "\",\"cid\":\"" + cid + "\"}");
    }

    @Override
    public String send(String room, String text, String cid) {
        return EngineIo.event("send", "{\"room\":\"" + room + "\",\"text\":\"" + Json.escape(text) + "\",\"cid\":\"" + cid + "\"}");
    }

    @Override
    public Frame read(String text, String token) throws IOException {
        EngineIo.Packet p;
        try {
            p = EngineIo.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        switch (p.engineType()) {
            case EngineIo.OPEN:
                return control("reply", EngineIo.connect("{\"token\":\"" + Json.escape(token) + "\"}"));
            case EngineIo.PING:
                return control("reply", EngineIo.pong(p.payload()));
            case EngineIo.CLOSE:
                return new Frame("refused", null, -1, "", null, "engine_close", null, -1);
            case EngineIo.MESSAGE:
                break;
            default:
                return Frame.other("engine." + p.engineType());
        }
        if (!"/".equals(p.namespace())) {
            return Frame.other("namespace " + p.namespace());
        }
        return switch (p.socketType()) {
            case EngineIo.CONNECT -> new Frame("ready", null, -1, "", null, null, null, -1);
            case EngineIo.CONNECT_ERROR -> new Frame("refused", null, -1, "", null, "connect_error", p.payload(), -1);
            case EngineIo.DISCONNECT -> new Frame("refused", null, -1, "", null, "disconnect", null, -1);
            case EngineIo.EVENT -> FrameParser.parseEvent(p.payload());
            default -> Frame.other("socketio." + p.socketType());
        };
    }

    private static Frame control(String type, String reply) {
        return new Frame(type, null, -1, "", null, null, reply, -1);
    }
}
