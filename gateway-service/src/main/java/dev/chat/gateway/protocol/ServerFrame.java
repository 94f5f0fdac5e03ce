package dev.chat.gateway.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** The frames the gateway writes itself (PROTOCOL.md, "Server to client"); {@code message} frames come ready-made from Redis. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface ServerFrame {

    String type();

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Welcome(String type, String user, String node) implements ServerFrame {
        public Welcome(String user, String node) {
            this("welcome", user, node);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Joined(String type, String room, long seq, String epoch, Boolean recovered, String cid) implements ServerFrame {
        public Joined(String room, long seq, String epoch, Boolean recovered, String cid) {
            this("joined", room, seq, epoch, recovered, cid);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Left(String type, String room, String cid) implements ServerFrame {
        public Left(String room, String cid) {
            this("left", room, cid);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Ack(String type, String cid, String room, long seq, long ts) implements ServerFrame {
        public Ack(String cid, String room, long seq, long ts) {
            this("ack", cid, room, seq, ts);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(String type, String code, String message, String cid) implements ServerFrame {
        public Error(String code, String message, String cid) {
            this("error", code, message, cid);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Pong(String type, String cid) implements ServerFrame {
        public Pong(String cid) {
            this("pong", cid);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Reconnect(String type, String reason) implements ServerFrame {
        public Reconnect(String reason) {
            this("reconnect", reason);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Typing(String type, String room, String user) implements ServerFrame {
        public Typing(String room, String user) {
            this("typing", room, user);
        }
    }

    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PresenceList(String type, String room, List<String> users, String cid) implements ServerFrame {
        public PresenceList(String room, List<String> users, String cid) {
            this("presence", room, users, cid);
        }
    }
}
