package dev.chat.gateway.connection;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UserBudgetsTest {

    @Test
    void aUsersBudgetIsSpentAcrossCallsAndOthersHaveTheirOwn() {
        UserBudgets budgets = new UserBudgets(0.0001, 2, 10);
        assertTrue(budgets.tryTake("ann"));
        assertTrue(budgets.tryTake("ann"));
        assertFalse(budgets.tryTake("ann"), "past the burst, with no refill to speak of");
        assertTrue(budgets.tryTake("bob"));
    }

    @Test
    void aFullTableRefusesNewUsersOnlyWhileTheOthersAreStillSpending() {
        UserBudgets spending = new UserBudgets(0.0001, 2, 2);
        spending.tryTake("ann");
        spending.tryTake("bob");
        assertFalse(spending.tryTake("cid"), "two users remembered, neither rested: a third is refused");

        UserBudgets resting = new UserBudgets(1000, 2, 2);
        resting.tryTake("ann");
        resting.tryTake("bob");
        // At 1,000 tokens a second both are rested within a millisecond: the full table forgets them for the new user.
        await().atMost(Duration.ofSeconds(5)).until(() -> resting.tryTake("cid"));
        assertTrue(resting.tryTake("cid"));
    }
}
