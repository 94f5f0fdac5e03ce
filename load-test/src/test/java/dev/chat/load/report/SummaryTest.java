package dev.chat.load.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String run(double p99, long lost, double serverCpu, long deliveries) {
        return """
                {"send":{"deliveries":%d,"acked":100,"deliveriesPerSecond":1000,"sentPerSecond":10},
                 "latency":{"count":%d,"p50Ms":1,"p99Ms":%s,"p999Ms":5,"maxMs":9},
                 "integrity":{"clean":%s,"lost":%d,"duplicated":0,"outOfOrder":0,"deliveredForRoomNotJoined":0},
                 "cpu":{"limitedBy":"nothing saturated","machineBusy":0.5,
                        "processes":{"server-a":{"cpuSeconds":%s,"systemCpuSeconds":0.05},"server-b":{"cpuSeconds":0,"systemCpuSeconds":0.05},"redis":{"cpuSeconds":0.01}}},
                 "connect":{"clients":10,"joined":10}}
                """.formatted(deliveries, deliveries, p99, lost == 0, lost, serverCpu);
    }

    @Test
    void mediansRangesAndRatiosPerScenario(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S5-ours-run1.json"), run(2, 0, 0.1, 100_000));
        Files.writeString(dir.resolve("S5-ours-run2.json"), run(4, 0, 0.3, 100_000));
        Files.writeString(dir.resolve("S5-ours-run3.json"), run(3, 0, 0.2, 100_000));
        Files.writeString(dir.resolve("S5-peer-run1.json"), run(6, 0, 0.4, 100_000));
        String md = Summary.render(dir);
        assertTrue(md.contains("| latency p99 (ms) | 3.00 (2.00-4.00) | 6.00 | 0.50x |"), md);
        // 0.2 s of server CPU over 100,000 deliveries = 2 us each; the peer's 0.4 s = 4 us.
        assertTrue(md.contains("| server CPU per delivery (us) | 2.00 (1.00-3.00) | 4.00 | 0.50x |"), md);
        // 0.1 s of it in the kernel (both servers) over 100,000 deliveries = 1 us, in every run.
        assertTrue(md.contains("| of it in the kernel (us) | 1.00 (1.00-1.00) | 1.00 | 1.00x |"), md);
        assertFalse(md.contains("Integrity problems"));
    }

    @Test
    void whatTheJitCompilersTookIsShownApartForJvmServersOnly(@TempDir Path dir) throws Exception {
        // Ours: 0.2 s of server CPU, 0.05 s of it in each server's compiler threads; history 0.004 s, 0.001 s of it compiling.
        String ours = run(3, 0, 0.2, 100_000)
                .replace("\"server-a\":{", "\"server-a\":{\"jitCpuSeconds\":0.05,")
                .replace("\"server-b\":{", "\"server-b\":{\"jitCpuSeconds\":0.05,")
                .replace("\"redis\":{", "\"history\":{\"cpuSeconds\":0.004,\"jitCpuSeconds\":0.001},\"redis\":{");
        Files.writeString(dir.resolve("S5-ours-run1.json"), ours);
        Files.writeString(dir.resolve("S5-peer-run1.json"), run(6, 0, 0.4, 100_000));
        String md = Summary.render(dir);
        // 0.1 s over 100,000 deliveries = 1 us; the peer's Node servers have no such figure.
        assertTrue(md.contains("| of it the JIT compilers (us) | 1.00 |  |  |"), md);
        // 0.001 s over 100 acked sends = 10 us of history's 40 us per stored message.
        assertTrue(md.contains("| history CPU per stored message (us) | 40.0 |  |  |"), md);
        assertTrue(md.contains("| of it history's JIT compilers (us) | 10.0 |  |  |"), md);
    }

    @Test
    void oursOnThreeRedisShardsGetsItsOwnColumnAndARatioToOneShard(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S6-ours-run1.json"), run(3, 0, 0.2, 100_000));
        Files.writeString(dir.resolve("S6-sharded-run1.json"), run(3, 0, 0.3, 100_000));
        Files.writeString(dir.resolve("S6-peer-run1.json"), run(6, 0, 0.4, 100_000));
        String md = Summary.render(dir);
        assertTrue(md.contains("| figure | ours | ours, 3 Redis shards | Socket.IO peer | ours / peer | 3 shards / 1 |"), md);
        assertTrue(md.contains("| server CPU per delivery (us) | 2.00 | 3.00 | 4.00 | 0.50x | 1.50x |"), md);
    }

    @Test
    void idleMemoryOnWarmProcessesIsASectionOfItsOwn(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S4-ours-run1.json"), idle(40_000));
        Files.writeString(dir.resolve("S4-ours-run1-pass2.json"), idle(8_000));
        Files.writeString(dir.resolve("S4-peer-run1.json"), idle(14_000));
        Files.writeString(dir.resolve("S4-peer-run1-pass2.json"), idle(10_000));
        String md = Summary.render(dir);
        String fresh = md.substring(md.indexOf("## S4: idle connections"), md.indexOf("## S4 pass 2: "));
        String warm = md.substring(md.indexOf("## S4 pass 2: "));
        assertTrue(warm.startsWith("## S4 pass 2: idle connections: memory per connection (pass 2: the same connections again"), md);
        assertTrue(fresh.contains("| RSS per connection, both servers (KB) | 39.1 | 13.7 | 2.86x |"), md);
        assertTrue(warm.contains("| RSS per connection, both servers (KB) | 7.81 | 9.77 | 0.80x |"), md);
    }

    @Test
    void aStormReportsBothServersCpuPerClientJoined(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S1-ours-run1.json"), storm(6.0, 2.0, 10_000));
        Files.writeString(dir.resolve("S1-peer-run1.json"), storm(2.0, 2.0, 10_000));
        String md = Summary.render(dir);
        // (6 + 2) s over 10,000 clients = 800 us each; the peer's (2 + 2) s = 400 us.
        assertTrue(md.contains("| servers' CPU per client, both servers (us) | 800.0 | 400.0 | 2.00x |"), md);
    }

    @Test
    void laterIdlePassesAreSectionsOfTheirOwnWithTheCpuPerConnect(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S4-ours-run1-pass2.json"), idleWithCpu(8_000, 3.0));
        Files.writeString(dir.resolve("S4-ours-run1-pass3.json"), idleWithCpu(1_000, 2.0));
        Files.writeString(dir.resolve("S4-peer-run1-pass3.json"), idleWithCpu(9_000, 1.0));
        String md = Summary.render(dir);
        String pass3 = md.substring(md.indexOf("## S4 pass 3: "));
        assertTrue(md.indexOf("## S4 pass 2: ") < md.indexOf("## S4 pass 3: "), md);
        assertTrue(pass3.startsWith("## S4 pass 3: idle connections: memory per connection (pass 3: the same connections again"), md);
        // 2 s of both servers' CPU over 10,000 connects = 200 us each; the peer's 1 s = 100 us.
        assertTrue(pass3.contains("| servers' CPU per connect, both servers (us) | 200.0 | 100.0 | 2.00x |"), md);
    }

    private static String storm(double serverA, double serverB, long joined) {
        return """
                {"connect":{"clients":%d,"joined":%d,"seconds":5.0,"perClient":{"p99Ms":900}},
                 "cpu":{"limitedBy":"nothing saturated","machineBusy":0.9,
                        "processes":{"server-a":{"cpuSeconds":%s},"server-b":{"cpuSeconds":%s},"load-tool":{"cpuSeconds":4}}}}
                """.formatted(joined, joined, serverA, serverB);
    }

    private static String idleWithCpu(long rssPerConnection, double serverCpu) {
        return """
                {"idle":{"connections":10000,"processes":{"server-a":{"rssPerConnectionBytes":%d},"server-b":{"rssPerConnectionBytes":0}}},
                 "cpu":{"limitedBy":"nothing saturated","machineBusy":0.9,
                        "processes":{"server-a":{"cpuSeconds":%s},"server-b":{"cpuSeconds":0}}},
                 "connect":{"clients":10000,"joined":0}}
                """.formatted(rssPerConnection, serverCpu);
    }

    @Test
    void theRssPerConnectionWithBothEndsAfterAFullGcIsARowOfItsOwn(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S4-ours-run1.json"), """
                {"idle":{"connections":10000,"processes":{
                   "server-a":{"rssPerConnectionBytes":12288,"rssPerConnectionAfterFullGcBytes":8192,"heapPerConnectionBytes":7168},
                   "server-b":{"rssPerConnectionBytes":12288,"rssPerConnectionAfterFullGcBytes":8192,"heapPerConnectionBytes":7168}}},
                 "connect":{"clients":10000,"joined":0}}
                """);
        Files.writeString(dir.resolve("S4-peer-run1.json"), idle(14_336));
        String md = Summary.render(dir);
        assertTrue(md.contains("| RSS per connection, both servers (KB) | 24.0 | 14.0 | 1.71x |"), md);
        assertTrue(md.contains("| RSS per connection, both servers, each end after a full GC (KB) | 16.0 |  |  |"), md);
        assertTrue(md.contains("| heap per connection after full GC (KB) | 14.0 |  |  |"), md);
    }

    private static String idle(long rssPerConnection) {
        return idleWithCpu(rssPerConnection, 0);
    }

    @Test
    void holdAndChurnReportsTheChurningClientsBesideTheHeldOnes(@TempDir Path dir) throws Exception {
        String held = run(20, 0, 0.2, 100_000).trim();
        Files.writeString(dir.resolve("S9-ours-run1.json"), held.substring(0, held.length() - 1)
                + ",\"churn\":{\"startedPerSecond\":149.5,\"failed\":0,\"connectJoin\":{\"p99Ms\":35.5}}}");
        String md = Summary.render(dir);
        assertTrue(md.contains("## S9: hold and churn"), md);
        assertTrue(md.contains("| latency p99 (ms) | 20.0 |"), md);
        assertTrue(md.contains("| churn: clients started per second | 149.5 |"), md);
        assertTrue(md.contains("| churn: connect+join p99 (ms) | 35.5 |"), md);
        assertTrue(md.contains("| churn: clients failed or refused | 0.00 |"), md);
    }

    @Test
    void aRunWithLossesIsListedFirst(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S3-ours-run1.json"), run(2, 7, 0.1, 100));
        String md = Summary.render(dir);
        assertTrue(md.indexOf("Integrity problems") < md.indexOf("## S3"), md);
        assertTrue(md.contains("S3-ours-run1: lost 7"), md);
    }

    @Test
    void rungPassesOnlyWithLowP99AndNothingLost() throws Exception {
        assertTrue(Summary.rungPassed(JSON.readTree(run(99, 0, 0.1, 10))));
        assertFalse(Summary.rungPassed(JSON.readTree(run(101, 0, 0.1, 10))));
        assertFalse(Summary.rungPassed(JSON.readTree(run(5, 1, 0.1, 10))));
        assertFalse(Summary.rungPassed(JSON.readTree(run(5, 0, 0.1, 0))), "a rung that delivered nothing does not pass");
    }

    @Test
    void ladderReportsHighestPassingRate(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("S7-ours-run1-rate20.json"), run(5, 0, 0.1, 10));
        Files.writeString(dir.resolve("S7-ours-run1-rate40.json"), run(50, 0, 0.1, 10));
        Files.writeString(dir.resolve("S7-ours-run1-rate60.json"), run(150, 0, 0.1, 10));
        String md = Summary.render(dir);
        assertTrue(md.contains("| ours | run 1: 40 / 60; |"), md);
        assertEquals(2.5, Summary.median(List.of(1.0, 4.0, 2.0, 3.0)));
    }
}
