package dev.chat.gateway.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.GatewayConfig;
import jakarta.inject.Singleton;
import java.io.UncheckedIOException;

/** The one codec for frames: validates client frames into {@link ClientFrame}s and encodes {@link ServerFrame}s. */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class FrameCodec {

    private static final int MAX_CID = 64;

    private final ObjectMapper mapper;
    private final GatewayConfig config;

    public FrameCodec(ObjectMapper mapper, GatewayConfig config) {
        // A private copy with tight parser limits: client input must not be able to nest or grow without bound.
        this.mapper = mapper.copy();
        this.mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(32)
                .maxNumberLength(32)
                .maxStringLength(config.limits().frameBytes())
                .build());
        this.config = config;
    }

    public String encode(ServerFrame frame) {
        try {
            return mapper.writeValueAsString(frame);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ClientFrame decode(String text) {
        JsonNode node;
        try {
            node = mapper.readTree(text);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "frame is not valid JSON", null);
        }
        if (node == null || !node.isObject()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "frame must be a JSON object", null);
        }
        String cid = cid(node);
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "missing field: type", cid);
        }
        return switch (type.asText()) {
            case "join" -> new ClientFrame.Join(room(node, cid), optionalSeq(node, "since", cid), optionalText(node, "epoch", 64, cid), cid,
                    presenceMode(node, cid));
            case "leave" -> new ClientFrame.Leave(room(node, cid), cid);
            case "send" -> send(node, cid);
            case "typing" -> new ClientFrame.Typing(room(node, cid), cid);
            case "read" -> new ClientFrame.Read(room(node, cid), requiredSeq(node, cid), cid);
            case "presence" -> new ClientFrame.Presence(room(node, cid), cid);
            case "ping" -> new ClientFrame.Ping(cid);
            default -> throw new FrameRejected(ErrorCode.BAD_REQUEST, "unknown type: " + printable(type.asText()), cid);
        };
    }

    private ClientFrame.Send send(JsonNode node, String cid) {
        boolean hasRoom = node.hasNonNull("room");
        boolean hasTo = node.hasNonNull("to");
        if (hasRoom == hasTo) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "send needs exactly one of room or to", cid);
        }
        String room = hasRoom ? room(node, cid) : null;
        String to = null;
        if (hasTo) {
            JsonNode toNode = node.get("to");
            if (!toNode.isTextual() || !RoomNames.isValidUser(toNode.asText())) {
                throw new FrameRejected(ErrorCode.BAD_REQUEST, "to must be a user id matching [A-Za-z0-9_.-]{1,64}", cid);
            }
            to = toNode.asText();
        }
        JsonNode textNode = node.get("text");
        if (textNode == null || !textNode.isTextual()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "missing field: text", cid);
        }
        String text = textNode.asText();
        if (text.isEmpty()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "text must not be empty", cid);
        }
        int chars = text.codePointCount(0, text.length());
        if (chars > config.limits().textChars()) {
            throw new FrameRejected(ErrorCode.TOO_LARGE,
                    "text has " + chars + " characters, at most " + config.limits().textChars() + " allowed", cid);
        }
        return new ClientFrame.Send(room, to, text, cid);
    }

    private static String cid(JsonNode node) {
        JsonNode cid = node.get("cid");
        if (cid == null || cid.isNull()) {
            return null;
        }
        if (!cid.isTextual() || cid.asText().length() > MAX_CID) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "cid must be a string of at most " + MAX_CID + " characters", null);
        }
        return cid.asText();
    }

    private static String room(JsonNode node, String cid) {
        JsonNode room = node.get("room");
        if (room == null || room.isNull()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "missing field: room", cid);
        }
        if (!room.isTextual() || !RoomNames.isValidRoom(room.asText())) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "room must match [A-Za-z0-9_.-]{1,64} or be dm:<a>:<b>", cid);
        }
        return room.asText();
    }

    private static Long optionalSeq(JsonNode node, String field, String cid) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return seq(value, field, cid);
    }

    private static long requiredSeq(JsonNode node, String cid) {
        JsonNode value = node.get("seq");
        if (value == null || value.isNull()) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, "missing field: seq", cid);
        }
        return seq(value, "seq", cid);
    }

    private static long seq(JsonNode value, String field, String cid) {
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 0) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, field + " must be a non-negative integer", cid);
        }
        return value.asLong();
    }

    /** Optional {@code presence} on {@code join}: {@code "events"} (the default), {@code "diff"} or {@code "none"}. */
    private static PresenceMode presenceMode(JsonNode node, String cid) {
        String mode = optionalText(node, "presence", 16, cid);
        if (mode == null) {
            return PresenceMode.EVENTS;
        }
        PresenceMode known = PresenceMode.named(mode);
        if (known != null) {
            return known;
        }
        throw new FrameRejected(ErrorCode.BAD_REQUEST, "presence must be \"events\", \"diff\" or \"none\"", cid);
    }

    private static String optionalText(JsonNode node, String field, int max, String cid) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().length() > max) {
            throw new FrameRejected(ErrorCode.BAD_REQUEST, field + " must be a string of at most " + max + " characters", cid);
        }
        return value.asText();
    }

    /** Echo only a short, printable excerpt of what the client sent. */
    private static String printable(String s) {
        String cut = s.length() > 32 ? s.substring(0, 32) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
