package dev.chat.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chat.load.wire.ChatWire;
import org.junit.jupiter.api.Test;

class RunStateTest {

    private final RunState run = new RunState(new ChatWire(), "Labc", 100);

    @Test
    void textHasTheRequestedSizeAndCarriesTheSendTime() {
        String text = run.text(123456789012L);
        assertEquals(100, text.length());
        assertEquals(123456789012L, RunState.sentAt(text, "Labc"));
    }

    @Test
    void textsFromElsewhereHaveNoSendTime() {
        assertEquals(-1, RunState.sentAt("hello", "Labc"));
        assertEquals(-1, RunState.sentAt("Labcd 12 x", "Labc"));
        assertEquals(-1, RunState.sentAt("Labc x12 x", "Labc"));
        assertEquals(-1, RunState.sentAt(null, "Labc"));
    }

    @Test
    void optionsParseDurationsAndRefuseNonsense() {
        assertEquals(90_000, Options.duration("1.5m").toMillis());
        assertEquals(250, Options.duration("250ms").toMillis());
        assertEquals(30_000, Options.duration("30s").toMillis());
        Options o = Options.parse(new String[] {"--target", "ws://a:1,ws://b:2", "--jwt-secret=s", "--clients", "10", "--rooms", "2"});
        assertEquals(2, o.targets().size());
        assertEquals(2, o.publishers());
        Options idle = Options.parse(new String[] {"--mode", "idle", "--target", "ws://a:1", "--jwt-secret", "s", "--rooms", "0"});
        assertEquals(0.0, idle.rate(), "idle mode sends nothing");
        assertEquals(0, idle.publishers());
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--target", "http://a:1", "--jwt-secret", "s"}));
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s", "--rooms", "0"}),
                "sending needs rooms");
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s", "--clients", "3", "--publishers", "4"}));
    }

    @Test
    void churnRunsBesideSendingAndNeverInIdleMode() {
        Options o = Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s", "--churn-rate", "150", "--churn-hold", "2s"});
        assertEquals(150.0, o.churnRate());
        assertEquals(2_000, o.churnHold().toMillis());
        assertEquals(0.0, Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s"}).churnRate(), "no churn unless asked");
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--mode", "idle", "--target", "ws://a:1", "--jwt-secret", "s", "--churn-rate", "10"}));
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s", "--rate", "0", "--churn-rate", "10"}));
        org.junit.jupiter.api.Assertions.assertThrows(Options.UsageException.class,
                () -> Options.parse(new String[] {"--target", "ws://a:1", "--jwt-secret", "s", "--churn-rate", "-1"}));
        // A user comes back only after its previous connection has left (hold plus five seconds of the rate).
        assertEquals(1050, Churn.users(150, java.time.Duration.ofSeconds(2)));
    }
}
