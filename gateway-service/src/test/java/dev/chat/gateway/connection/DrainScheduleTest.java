package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How a draining gateway spreads its {@code reconnect} frames over the drain window. Plain JUnit. */
class DrainScheduleTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void twoThousandClientsGoInEqualBatchesOverEightyPercentOfTheTimeout() {
        DrainSchedule schedule = DrainSchedule.of(2000, TIMEOUT, 0.8);
        assertEquals(80, schedule.batches(), "one batch per 100 ms of the 8 s window");
        assertEquals(Duration.ZERO, schedule.offset(0), "the first batch goes at once");
        assertEquals(Duration.ofMillis(7900), schedule.offset(79), "the last batch goes before the window ends");
        for (int batch = 0; batch < schedule.batches(); batch++) {
            assertEquals(25, schedule.firstOf(batch + 1) - schedule.firstOf(batch), "batch " + batch);
        }
        assertEquals(2000, schedule.firstOf(schedule.batches()), "every client is in a batch");
    }

    @Test
    void everyClientIsToldOnceAndTheLastBatchLeavesTimeToAnswerFramesInFlight() {
        for (int clients : new int[] {0, 1, 7, 79, 80, 81, 1999, 50_000}) {
            DrainSchedule schedule = DrainSchedule.of(clients, TIMEOUT, 0.8);
            assertEquals(0, schedule.firstOf(0));
            assertEquals(clients, schedule.firstOf(schedule.batches()), clients + " clients");
            for (int batch = 0; batch < schedule.batches(); batch++) {
                int size = schedule.firstOf(batch + 1) - schedule.firstOf(batch);
                assertTrue(size >= clients / schedule.batches() && size <= clients / schedule.batches() + 1, clients + " clients, batch " + batch);
                assertTrue(schedule.offset(batch).compareTo(Duration.ofSeconds(8)) < 0, "batch " + batch + " at " + schedule.offset(batch));
            }
        }
    }

    @Test
    void fewClientsGetOneBatchEachSpreadOverTheWindow() {
        DrainSchedule schedule = DrainSchedule.of(8, TIMEOUT, 0.8);
        assertEquals(8, schedule.batches());
        assertEquals(Duration.ofSeconds(1), schedule.offset(1));
        assertEquals(Duration.ofSeconds(7), schedule.offset(7));
    }

    @Test
    void noSpreadTellsEveryoneAtOnce() {
        DrainSchedule schedule = DrainSchedule.of(2000, TIMEOUT, 0);
        assertEquals(1, schedule.batches());
        assertEquals(Duration.ZERO, schedule.offset(0));
        assertEquals(2000, schedule.firstOf(1));
        assertEquals(1, DrainSchedule.of(2000, TIMEOUT, -1).batches(), "a negative spread counts as none");
        assertEquals(Duration.ofSeconds(10), DrainSchedule.of(2000, TIMEOUT, 5).window(), "at most the whole timeout");
    }
}
