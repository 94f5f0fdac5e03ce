package dev.chat.load.wire;

import java.io.IOException;

/** Our protocol (shared/PROTOCOL.md): token in the {@code access_token} query, ready on {@code welcome}. */
public final class ChatWire implements Wire {

    /** Appended to every join: the presence frames the client asks for (PROTOCOL.md: events by default, batched diffs or none). */
    private final String joinPresence;

    public ChatWire() {
        this("events");
    }

    /** {@code presence}: {@code events} (the protocol's default, not written), {@code diff} or {@code none}. */
    public ChatWire(String presence) {
        this.joinPresence = "events".equals(presence) ? "}" : ",\"presence\":\"" + presence + "\"}";
    }

    @Override
    public String name() {
        return "chat";
    }

    @Override
    public String defaultPath() {
        return "/chat";
    }

    @Override
    public String upgradeQuery(String token) {
        return "access_token=" + token;
    }

    @Override
    public String join(String room, String cid) {
        return "{\"type\":\"join\",\"room\":\"" + room + "\",\"cid\":\"" + cid + "\"" + joinPresence;
    }

    @Override
    public String send(String room, String text, String cid) {
        return "{\"type\":\"send\",\"room\":\"" + room + "\",\"text\":\"" + Json.escape(text) + "\",\"cid\":\"" + cid + "\"}";
    }

    @Override
    public Frame read(String text, String token) throws IOException {
        Frame f = FrameParser.parseObject(text);
        if (f.type().equals("welcome")) {
            return new Frame("ready", null, -1, "", null, null, null, -1);
        }
        return f;
    }
}
