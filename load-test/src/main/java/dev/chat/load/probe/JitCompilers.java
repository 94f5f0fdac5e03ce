package dev.chat.load.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU a JVM's JIT compiler threads have used ({@code /proc/PID/task/TID/stat} of the threads HotSpot names
 * "C1 CompilerThread..." and "C2 CompilerThread...", which Linux cuts to 15 characters): what of a process's CPU went to
 * compiling rather than to the work measured, so a run on a process still warming up can be told from a warm one.
 * HotSpot may stop a compiler thread it no longer needs; each thread's last sample is kept, so such a thread's CPU counts
 * up to its last sample (at most a sampling interval is missed).
 */
public final class JitCompilers {

    private final int pid;
    /** CPU seconds per compiler thread id, as last sampled. */
    private final Map<Integer, Double> byThread = new HashMap<>();

    public JitCompilers(int pid) {
        this.pid = pid;
    }

    /** Samples the compiler threads; {@link #seconds()} then includes what they used up to now. */
    public void sample() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "task"))) {
            for (Path task : tasks) {
                String line;
                try {
                    line = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended between the listing and the read
                }
                if (isCompiler(ProcStat.name(line))) {
                    byThread.put(Integer.parseInt(task.getFileName().toString()), ProcStat.parseStat(line).cpuSeconds());
                }
            }
        } catch (IOException | RuntimeException gone) {
            // The process ended: what was sampled stands.
        }
    }

    /** CPU seconds the compiler threads had used at the last sample, every one ever sampled included. */
    public double seconds() {
        double total = 0;
        for (double seconds : byThread.values()) {
            total += seconds;
        }
        return total;
    }

    /** Compiler threads seen so far. */
    public int threadsSeen() {
        return byThread.size();
    }

    static boolean isCompiler(String threadName) {
        return threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre");
    }
}
