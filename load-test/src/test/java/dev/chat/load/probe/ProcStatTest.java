package dev.chat.load.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatTest {

    @Test
    void statFieldsCountFromTheLastParenthesis() {
        String line = "4242 (my (odd) name) S 17 4242 4242 0 -1 4194560 500 0 0 0 1234 566 0 0 20 0 9 0 100 1000 50 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        ProcStat.Sample s = ProcStat.parseStat(line);
        assertEquals(18.0, s.cpuSeconds(), 1e-9);
        assertEquals(5.66, s.systemSeconds(), 1e-9);
        assertEquals(17, s.ppid());
    }

    @Test
    void readsThisProcess() {
        int pid = (int) ProcessHandle.current().pid();
        assertTrue(ProcStat.stat(pid).cpuSeconds() > 0);
        assertTrue(ProcStat.rssBytes(pid) > 1_000_000);
        assertNull(ProcStat.stat(Integer.MAX_VALUE));
        assertEquals(-1, ProcStat.rssBytes(Integer.MAX_VALUE));
    }

    @Test
    void pidSpecs() {
        assertEquals(new Watched("redis", 12, false, ""), Watched.parse("redis=12"));
        assertEquals(new Watched("pg", 7, true, ""), Watched.parse("pg=7+"));
        assertEquals(new Watched("pg", 7, true, "bench"), Watched.parse("pg=7+bench"));
    }

    @Test
    void treeSumsDescendantsAndTheFilterPicksThem() throws Exception {
        // A shell with two sleeping children: none of them grows while it is sampled.
        Process shell = new ProcessBuilder("sh", "-c", "sleep 30 & sleep 30 & wait").start();
        try {
            int root = (int) shell.pid();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (shell.descendants().count() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(2, shell.descendants().count());
            double alone = new Watched("sh", root, false, "").sample()[1];
            double tree = new Watched("sh", root, true, "").sample()[1];
            double none = new Watched("sh", root, true, "no-such-command-line").sample()[1];
            double sleeps = new Watched("sh", root, true, "sleep").sample()[1];
            assertTrue(tree > alone, "the children's RSS is added");
            assertEquals(alone, none, "a filter matching no child adds nothing");
            assertEquals(tree, sleeps, "a filter matching both children adds both");
        } finally {
            shell.descendants().forEach(ProcessHandle::destroy);
            shell.destroy();
        }
    }

    @Test
    void heapInfoOfG1AndSerial() {
        String g1 = """
                 garbage-first heap   total 262144K, used 21504K [0x00000000f0000000, 0x0000000100000000)
                  region size 1024K, 16 young (16384K), 2 survivors (2048K)
                 Metaspace       used 1234K, committed 1400K, reserved 1114112K
                """;
        assertEquals(21504L * 1024, HeapProbe.parseUsed(g1));
        String serial = """
                 def new generation   total 4928K, used 1000K [0x1, 0x2, 0x3)
                 tenured generation   total 10944K, used 2000K [0x1, 0x2, 0x3)
                 Metaspace       used 500K, committed 600K, reserved 1056768K
                """;
        assertEquals(3000L * 1024, HeapProbe.parseUsed(serial));
        assertEquals(-1, HeapProbe.parseUsed("no heap here"));
    }
}
