package dev.chat.load.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a Linux process's CPU time ({@code /proc/PID/stat} utime + stime) and resident memory
 * ({@code /proc/PID/status} VmRSS). Clock ticks are assumed to be 100 per second (USER_HZ on every
 * mainstream Linux architecture).
 */
public final class ProcStat {

    public static final double TICKS_PER_SECOND = 100.0;

    /** CPU seconds (user + system), of them in the kernel (system), parent pid; null when the process is gone. */
    public record Sample(double cpuSeconds, double systemSeconds, int ppid) {
    }

    private ProcStat() {
    }

    /** Parses one stat line; the command name may hold spaces and parentheses, so fields count from the last ')'. */
    public static Sample parseStat(String line) {
        int close = line.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line");
        }
        String[] f = line.substring(close + 2).trim().split(" +");
        // f[0] = state (field 3), f[1] = ppid (4), f[11] = utime (14), f[12] = stime (15)
        long system = Long.parseLong(f[12]);
        long ticks = Long.parseLong(f[11]) + system;
        return new Sample(ticks / TICKS_PER_SECOND, system / TICKS_PER_SECOND, Integer.parseInt(f[1]));
    }

    /** The command (or thread) name in a stat line: between the first '(' and the last ')' (a name may hold parentheses). */
    public static String name(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        return open < 0 || close < open ? "" : line.substring(open + 1, close);
    }

    public static Sample stat(int pid) {
        try {
            return parseStat(Files.readString(Path.of("/proc", Integer.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** VmRSS in bytes, or -1 when the process is gone. */
    public static long rssBytes(int pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return parseKb(l) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static long parseKb(String statusLine) {
        String v = statusLine.substring(statusLine.indexOf(':') + 1).trim();
        return Long.parseLong(v.split("\\s+")[0]);
    }

    public static String cmdline(int pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"))).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Busy and total jiffies of the whole machine (first line of /proc/stat). */
    public static long[] machine() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split(" +");
            long total = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }
}
