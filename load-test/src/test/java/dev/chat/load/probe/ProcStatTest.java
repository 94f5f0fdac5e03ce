package dev.chat.load.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void theJitCompilerThreadsAreFoundByTheirNamesAsLinuxCutsThem() {
        assertEquals("C2 CompilerThre", ProcStat.name("77 (C2 CompilerThre) S 1 1 1 0 -1 0 0 0 0 0 12 3"));
        assertEquals("a (b) c", ProcStat.name("77 (a (b) c) S 1"));
        assertTrue(JitCompilers.isCompiler("C1 CompilerThre"));
        assertTrue(JitCompilers.isCompiler("C2 CompilerThre"));
        assertFalse(JitCompilers.isCompiler("VM Thread"));
        assertFalse(JitCompilers.isCompiler("vert.x-eventloo"));
    }

    @Test
    void thisJvmsCompilerThreadsAreSampledAndTheirCpuNeverGoesBack() {
        JitCompilers jit = new JitCompilers((int) ProcessHandle.current().pid());
        jit.sample();
        double before = jit.seconds();
        assertTrue(jit.threadsSeen() >= 1, "a JVM has at least one compiler thread");
        jit.sample();
        assertTrue(jit.seconds() >= before);
        JitCompilers gone = new JitCompilers(Integer.MAX_VALUE);
        gone.sample();
        assertEquals(0.0, gone.seconds(), "a process that is gone has nothing");
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
            Watched alone = new Watched("sh", root, false, "");
            Watched tree = new Watched("sh", root, true, "");
            // The shell's and its children's memory still moves for a moment after the forks and execs: each
            // comparison is taken between two equal readings of its reference.
            double[] none = settled(alone, new Watched("sh", root, true, "no-such-command-line"));
            double[] sleeps = settled(tree, new Watched("sh", root, true, "sleep"));
            assertTrue(sleeps[0] > none[0], "the children's RSS is added");
            assertEquals(none[0], none[1], "a filter matching no child adds nothing");
            assertEquals(sleeps[0], sleeps[1], "a filter matching both children adds both");
        } finally {
            shell.descendants().forEach(ProcessHandle::destroy);
            shell.destroy();
        }
    }

    /** {reference's RSS, measured's RSS}, read while the reference's RSS read the same before and after. */
    private static double[] settled(Watched reference, Watched measured) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            double before = reference.sample()[1];
            double value = measured.sample()[1];
            double after = reference.sample()[1];
            if (before == after || System.nanoTime() > deadline) {
                return new double[] {after, value};
            }
        }
    }

    @Test
    void liveHeapIsTheHistogramTotal() {
        String histogram = """
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:         47038        3168416  [B (java.base@17.0.15)
                   2:          8348        1441928  [Ljava.lang.Object; (java.base@17.0.15)
                Total        251234       12345678
                """;
        assertEquals(12345678L, HeapProbe.parseLiveBytes(histogram));
        assertEquals(-1, HeapProbe.parseLiveBytes("no histogram here"));
    }

    @Test
    void liveHeapCountsWhatIsReachableAndNotWhatWasFreed() {
        int pid = (int) ProcessHandle.current().pid();
        long before = HeapProbe.usedAfterFullGc(pid);
        byte[][] held = new byte[64][];
        for (int i = 0; i < held.length; i++) {
            held[i] = new byte[1024 * 1024];
        }
        long holding = HeapProbe.usedAfterFullGc(pid);
        assertTrue(held[63].length > 0);
        held = null;
        long released = HeapProbe.usedAfterFullGc(pid);
        assertTrue(holding - before >= 64L * 1024 * 1024, "64 MiB held: " + before + " -> " + holding);
        assertTrue(holding - released >= 64L * 1024 * 1024, "64 MiB released: " + holding + " -> " + released);
    }
}
