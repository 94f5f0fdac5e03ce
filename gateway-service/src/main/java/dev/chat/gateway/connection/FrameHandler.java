package dev.chat.gateway.connection;

import dev.chat.common.rooms.RoomNames;
import dev.chat.gateway.GatewayConfig;
import dev.chat.gateway.activity.ActivityLog;
import dev.chat.gateway.presence.PresenceRegistry;
import dev.chat.gateway.presence.TypingSignals;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import dev.chat.gateway.protocol.ClientFrame;
import dev.chat.gateway.protocol.ErrorCode;
import dev.chat.gateway.protocol.FrameCodec;
import dev.chat.gateway.protocol.FrameRejected;
import dev.chat.gateway.protocol.ServerFrame;
import dev.chat.gateway.publish.Accepted;
import dev.chat.gateway.publish.MessagePublisher;
import dev.chat.gateway.publish.RoomPosition;
import dev.chat.gateway.publish.RoomPositions;
import dev.chat.gateway.publish.RoomUnavailable;
import dev.chat.gateway.room.Member;
import dev.chat.gateway.room.RoomRegistry;
import io.netty.channel.EventLoop;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/** Carries out one client frame for a session and answers it; every failure becomes an {@code error} frame. */
// A singleton, not application-scoped: it is called for every frame or message, and a client proxy looks its instance up on each call.
@Singleton
public class FrameHandler {

    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(5);

    private final FrameCodec codec;
    private final RoomRegistry rooms;
    private final RoomPositions positions;
    private final MessagePublisher publisher;
    private final GatewayConfig config;
    private final PresenceRegistry presence;
    private final ActivityLog activity;
    private final ReactiveRedisDataSource redis;
    private final LimitPolicy limits;
    private final TypingSignals typingSignals;

    public FrameHandler(FrameCodec codec, RoomRegistry rooms, RoomPositions positions, MessagePublisher publisher, GatewayConfig config,
            PresenceRegistry presence, ActivityLog activity, ReactiveRedisDataSource redis, LimitPolicy limits, TypingSignals typingSignals) {
        this.typingSignals = typingSignals;
        this.limits = limits;
        this.config = config;
        this.presence = presence;
        this.activity = activity;
        this.redis = redis;
        this.codec = codec;
        this.rooms = rooms;
        this.positions = positions;
        this.publisher = publisher;
    }

    Uni<Void> handle(ChatSession session, String text) {
        ClientFrame decoded = null;
        Uni<Void> result;
        try {
            decoded = codec.decode(checkSize(text));
            if (session.hasLeft() && !(decoded instanceof ClientFrame.Send || decoded instanceof ClientFrame.Read)) {
                // Queued behind a frame that was still waiting when the connection closed. A direct message and a read
                // position are the client's data and go on as they would have (a room's message finds its rooms left, and
                // without an ack the client sends it again); a join would make a member nobody removes any more, and the
                // rest would answer no one.
                return Uni.createFrom().voidItem();
            }
            // Before any Redis work: a refused frame costs a decode and a token count, nothing more.
            limits.checkRate(session, decoded);
            result = dispatch(session, decoded);
        } catch (FrameRejected e) {
            return refuse(session, e);
        } catch (RuntimeException e) {
            // A fault of the gateway's own, thrown before the handling became a Uni: answered as a failure of that Uni
            // would be, so the client is never left waiting for an answer that will not come.
            return reply(session, errorFor(e, decoded));
        }
        ClientFrame frame = decoded;
        return result.onFailure().recoverWithUni(e -> e instanceof FrameRejected rejected
                ? refuse(session, rejected)
                : reply(session, errorFor(e, frame)));
    }

    /** Answers a refused frame with its error and counts it toward the abuse close. */
    Uni<Void> refuse(ChatSession session, FrameRejected rejected) {
        Uni<Void> answered = reply(session, rejected.toFrame());
        limits.refusal(session, rejected.code());
        return answered;
    }

    private Uni<Void> dispatch(ChatSession session, ClientFrame frame) {
        if (frame instanceof ClientFrame.Join join) {
            return join(session, join);
        } else if (frame instanceof ClientFrame.Leave leave) {
            return leave(session, leave);
        } else if (frame instanceof ClientFrame.Send send) {
            return send(session, send);
        } else if (frame instanceof ClientFrame.Typing typing) {
            return typing(session, typing);
        } else if (frame instanceof ClientFrame.Presence query) {
            checkAccess(session, query.room(), query.cid());
            return inTime(session, presence.users(query.room()))
                    .onFailure().transform(e -> new RoomUnavailable("Redis did not answer", e))
                    .chain(users -> reply(session, new ServerFrame.PresenceList(query.room(), users, query.cid())));
        } else if (frame instanceof ClientFrame.Read read) {
            checkAccess(session, read.room(), read.cid());
            return inTime(session, activity.read(session.user(), read.room(), read.seq()))
                    .onFailure().transform(e -> new RoomUnavailable("Redis did not answer", e));
        } else if (frame instanceof ClientFrame.Ping ping) {
            return reply(session, new ServerFrame.Pong(ping.cid()));
        }
        throw new FrameRejected(ErrorCode.BAD_REQUEST, "unsupported frame", frame.cid());
    }

    private String checkSize(String text) {
        int limit = config.limits().frameBytes();
        // Cheap check first: a UTF-8 encoding is at least as long as the char count and at most three times it.
        if (text.length() > limit || (text.length() * 3L > limit && text.getBytes(StandardCharsets.UTF_8).length > limit)) {
            throw new FrameRejected(ErrorCode.TOO_LARGE, "frame is larger than " + limit + " bytes", null);
        }
        return text;
    }

    private Uni<Void> join(ChatSession session, ClientFrame.Join join) {
        checkAccess(session, join.room(), join.cid());
        limits.checkRooms(session, join.room(), join.cid());
        Member member = new Member(join.room(), session, join.presence());
        Member previous = session.putRoom(join.room(), member);
        if (previous != null) {
            // A repeated join restarts the room for this connection, replaying from the new `since`. The new
            // membership takes over the old one's presence at once, so no one sees the user leave and come back
            // (a re-join whose position read spanned a presence flush did); if it fails, the user leaves then.
            rooms.remove(previous);
            presence.replaced(previous, member);
        }
        // After the previous membership stopped: what the client had of a direct-message room carries over to the new one.
        session.joining(member, previous);
        return Uni.createFrom().completionStage(() -> rooms.add(member).toCompletionStage())
                .ifNoItem().after(SUBSCRIBE_TIMEOUT).failWith(() -> new RoomUnavailable("Redis subscription timed out", null))
                .chain(() -> positions.position(join.room(), join.since(), join.epoch()))
                .chain(position -> {
                    // joined, the gap in chunks, then live: written by the member on this connection's event loop.
                    CompletionStage<Void> joinedWritten = rooms.start(member, position, codec.encode(joined(join, position)), join.since());
                    presence.joined(member, join.room(), session.user());
                    if (session.rooms().get(join.room()) != member) {
                        // The connection closed or left while the join was in flight: whoever removed the
                        // membership may have looked before it was counted, so uncount it here (once either way).
                        presence.left(member, join.room(), session.user());
                    }
                    if (previous == null) {
                        activity.joined(session.user(), join.room());
                    }
                    // The connection's next frame is handled once joined is out: a leave or another join right behind
                    // this one ends the membership after its joined, never before it (which left the join unanswered).
                    return Uni.createFrom().completionStage(joinedWritten);
                })
                .onFailure().invoke(e -> session.runOnLoop(() -> {
                    // In one task on the connection's loop (a failure may come on a timer's or Redis's thread): no
                    // direct message of the room is written between the membership's end and its handover.
                    session.removeRoom(join.room(), member);
                    rooms.remove(member);
                    // Counted only if it took over a previous membership's presence.
                    presence.left(member, join.room(), session.user());
                    // Of a direct-message room, what the user's channel passed over for the failed join is written to the connection.
                    session.handOver(member);
                }))
                .replaceWithVoid();
    }

    private static ServerFrame.Joined joined(ClientFrame.Join join, RoomPosition position) {
        return new ServerFrame.Joined(join.room(), position.seq(), position.epoch(), position.recovered(), join.cid());
    }

    private Uni<Void> leave(ChatSession session, ClientFrame.Leave leave) {
        Member member = session.removeRoom(leave.room());
        if (member == null) {
            throw new FrameRejected(ErrorCode.NOT_JOINED, "not joined to " + leave.room(), leave.cid());
        }
        rooms.remove(member);
        presence.left(member, leave.room(), session.user());
        Uni<Void> left = reply(session, new ServerFrame.Left(leave.room(), leave.cid()));
        // After `left`: of a direct-message room, the user's channel writes the messages to this connection again from here.
        session.handOver(member);
        return left;
    }

    private Uni<Void> send(ChatSession session, ClientFrame.Send send) {
        String room;
        if (send.to() != null) {
            room = RoomNames.direct(session.user(), send.to());
        } else {
            room = send.room();
            checkAccess(session, room, send.cid());
            if (!session.hasJoined(room)) {
                throw new FrameRejected(ErrorCode.NOT_JOINED, "join " + room + " before sending to it", send.cid());
            }
        }
        return inTime(session, publisher.publish(room, session.user(), send.text(), send.cid()))
                .chain(accepted -> reply(session, ack(send, accepted)));
    }

    private Uni<Void> typing(ChatSession session, ClientFrame.Typing typing) {
        if (!session.hasJoined(typing.room())) {
            throw new FrameRejected(ErrorCode.NOT_JOINED, "join " + typing.room() + " before typing in it", typing.cid());
        }
        String frame = codec.encode(new ServerFrame.Typing(typing.room(), session.user()));
        return inTime(session, typingSignals.signal(session.user(), typing.room(), frame))
                .onFailure().transform(e -> new RoomUnavailable("Redis did not answer", e))
                .replaceWithVoid();
    }

    /**
     * A frame's Redis work, failed {@code unavailable} when it gets no reply within chat.limits.answer-timeout: the
     * reactive client has no deadline, and a stalled connection would hold the connection's later frames forever. The
     * command itself may still run (a send's resend with its cid lands once). The deadline is on the connection's own
     * loop, where the answer is written, so one answered in time leaves that loop's queue at once.
     */
    private <T> Uni<T> inTime(ChatSession session, Uni<T> redisWork) {
        var deadline = redisWork.ifNoItem().after(config.limits().answerTimeout());
        EventLoop loop = session.eventLoop();
        return (loop == null ? deadline : deadline.on(loop)).failWith(() -> new RoomUnavailable("Redis did not answer in time", null));
    }

    private static ServerFrame.Ack ack(ClientFrame.Send send, Accepted accepted) {
        return new ServerFrame.Ack(send.cid(), accepted.room(), accepted.seq(), accepted.ts());
    }

    private static void checkAccess(ChatSession session, String room, String cid) {
        if (!RoomNames.mayAccess(session.user(), room)) {
            throw new FrameRejected(ErrorCode.FORBIDDEN, "room " + room + " is not allowed for this user", cid);
        }
    }

    /** The answer to a frame whose handling failed; {@code frame} is null when it failed before the frame was decoded. */
    private ServerFrame.Error errorFor(Throwable e, ClientFrame frame) {
        String cid = frame == null ? null : frame.cid();
        if (e instanceof FrameRejected rejected) {
            return rejected.toFrame();
        }
        if (e instanceof RoomUnavailable) {
            Log.debugf("unavailable: %s", e.getMessage());
            if (!(frame instanceof ClientFrame.Send)) {
                // A join, presence or read: nothing was sent, so the text must not speak of a message.
                return new ServerFrame.Error(ErrorCode.UNAVAILABLE.wire(), "the room's backing service did not answer; retry", cid);
            }
            // PROTOCOL.md says "NOT accepted", but a lost reply (timeout, dropped connection) may follow a stored
            // message: the text only promises what holds, that a resend with the same cid lands once.
            return new ServerFrame.Error(ErrorCode.UNAVAILABLE.wire(),
                    "the message store did not confirm the message; resend with the same cid", cid);
        }
        Log.errorf(e, "Frame failed");
        return new ServerFrame.Error(ErrorCode.INTERNAL.wire(), "internal error", cid);
    }

    private Uni<Void> reply(ChatSession session, ServerFrame frame) {
        session.send(codec.encode(frame));
        return Uni.createFrom().voidItem();
    }
}
