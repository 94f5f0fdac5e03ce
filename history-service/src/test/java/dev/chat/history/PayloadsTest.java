package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.chat.history.ingest.Payloads;
import dev.chat.history.store.ChatMessage;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** What history stores of the frames a room channel carries: message frames, and nothing else. */
@QuarkusTest
class PayloadsTest {

    @Inject
    Payloads payloads;

    @Test
    void aMessageFrameIsReadWithEveryStoredField() {
        ChatMessage message = payloads.parse("general",
                "{\"type\":\"message\",\"room\":\"general\",\"from\":\"alice\",\"text\":\"hi\",\"cid\":\"c-1\",\"seq\":43,\"ts\":1763880000000}");

        assertEquals(new ChatMessage("general", 43, "alice", "hi", 1763880000000L, "c-1"), message);
    }

    @Test
    void aMessageFrameIsReadWhateverTheOrderOfItsFields() {
        ChatMessage message = payloads.parse("general",
                "{\"seq\":7,\"ts\":5,\"text\":\"hi\",\"from\":\"bob\",\"room\":\"general\",\"type\":\"message\"}");

        assertEquals(new ChatMessage("general", 7, "bob", "hi", 5, null), message);
    }

    @Test
    void aFrameOfAnotherTypeIsNeverStoredWhateverFieldsItCarries() {
        // Typing and presence frames share the room channel; a seq in one of them does not make it a message.
        assertNull(payloads.parse("general",
                "{\"type\":\"typing\",\"room\":\"general\",\"from\":\"alice\",\"text\":\"x\",\"seq\":5,\"ts\":1}"));
        assertNull(payloads.parse("general",
                "{\"type\":\"presence\",\"room\":\"general\",\"users\":[\"alice\",\"bob\"],\"seq\":6,\"from\":\"a\",\"text\":\"b\",\"ts\":1}"));
    }
}
