package dev.chat.gateway.room;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.gateway.protocol.PresenceMode;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A member's frames around its catch-up: ephemeral ones reach the client from its {@code joined} on. */
class MemberTest {

    static final RoomMessage LEAVE = new RoomMessage("presence.leave", 0, "r", "zoe", 0,
            "{\"type\":\"presence.leave\",\"room\":\"r\",\"user\":\"zoe\"}");

    @Test
    void aPresenceChangeDuringTheReplayOfAGapReachesTheClient() {
        Frames client = new Frames();
        Member member = new Member("r", client, PresenceMode.EVENTS);
        // The log's answer for the gap (seq 1..50) has not come yet: the member is catching up.
        member.attach(new StalledLog());
        member.start("{\"type\":\"joined\"}", "e", 0, 50, List.of());

        member.deliverEphemeral(LEAVE, null);

        assertEquals(List.of("{\"type\":\"joined\"}", LEAVE.frame()), client.frames);
    }

    @Test
    void nothingEphemeralBeforeJoinedNorAfterTheMembershipEnded() {
        Frames client = new Frames();
        Member member = new Member("r", client, PresenceMode.EVENTS);
        member.attach(new StalledLog());
        member.deliverEphemeral(LEAVE, null);
        member.start("{\"type\":\"joined\"}", "e", 0, 0, List.of());
        member.stop();
        member.deliverEphemeral(LEAVE, null);

        assertEquals(List.of("{\"type\":\"joined\"}"), client.frames);
    }

    /** A recent log whose reads never answer. */
    static final class StalledLog implements Member.CatchUp {
        @Override
        public Future<List<RoomMessage>> read(String room, long from, long to, int count) {
            return Promise.<List<RoomMessage>>promise().future();
        }

        @Override
        public String lost(String room, long seq, String epoch) {
            return "{\"type\":\"joined\",\"recovered\":false}";
        }

        @Override
        public int chunk() {
            return 100;
        }

        @Override
        public Future<String> epoch(String room) {
            return Promise.<String>promise().future();
        }
    }

    /** A connection that records what is written to it, on the caller's thread (no event loop). */
    static final class Frames implements Recipient {
        final List<String> frames = new ArrayList<>();

        @Override
        public String user() {
            return "bob";
        }

        @Override
        public boolean hasJoined(String room) {
            return true;
        }

        @Override
        public void send(String frame) {
            frames.add(frame);
        }

        @Override
        public void send(RoomMessage message) {
            frames.add(message.frame());
        }

        @Override
        public void send(String frame, Runnable written) {
            frames.add(frame);
        }

        @Override
        public EventLoop eventLoop() {
            return null;
        }
    }
}
