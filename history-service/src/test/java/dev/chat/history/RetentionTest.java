package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chat.history.store.ChatMessage;
import dev.chat.history.store.MessageBatch;
import dev.chat.history.store.MessageRetention;
import dev.chat.history.store.MessageWriter;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Retention deletes messages older than the cut-off, batch after batch, and nothing newer. */
@QuarkusTest
class RetentionTest {

    @Inject
    MessageWriter writer;

    @Inject
    MessageRetention retention;

    @Inject
    DataSource database;

    @Test
    void messagesOlderThanTheCutoffAreDeletedInBatchesAndNewerOnesKept() throws SQLException {
        String room = Gateway.uniqueRoom("retention");
        // 2,500 messages (more than two batches of 1,000) from the first seconds of 1970, then 3 recent ones.
        List<ChatMessage> messages = new ArrayList<>();
        for (int seq = 1; seq <= 2503; seq++) {
            messages.add(new ChatMessage(room, seq, "alice", "m" + seq, seq <= 2500 ? seq : System.currentTimeMillis(), null));
        }
        writer.write(new MessageBatch(messages, messages.stream().map(m -> false).toList(), Map.of(room, 2503L)))
                .await().atMost(Duration.ofSeconds(30));

        long deleted = retention.purgeOlderThan(10_000).await().atMost(Duration.ofSeconds(60));

        // At least this room's 2,500 (the test database may hold other rows from 1970, written by older test versions).
        assertTrue(deleted >= 2500, "deleted " + deleted);
        assertEquals(List.of(2501L, 2502L, 2503L), seqs(room));
    }

    private List<Long> seqs(String room) throws SQLException {
        try (Connection c = database.getConnection();
                PreparedStatement s = c.prepareStatement("select seq from messages where room = ? order by seq")) {
            s.setString(1, room);
            List<Long> seqs = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    seqs.add(rs.getLong(1));
                }
            }
            return seqs;
        }
    }
}
