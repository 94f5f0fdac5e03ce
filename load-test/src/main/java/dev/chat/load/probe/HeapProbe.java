package dev.chat.load.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap in use after a full GC, through {@code jcmd PID GC.run} and {@code jcmd PID GC.heap_info}: tells
 * retained memory per connection apart from heap the JVM grew lazily and has not given back.
 */
public final class HeapProbe {

    private static final Pattern USED = Pattern.compile("total\\s+(\\d+)K,\\s+used\\s+(\\d+)K");

    private HeapProbe() {
    }

    /** Bytes of heap used after a full GC, or -1 when jcmd is missing or the output is not understood. */
    public static long usedAfterFullGc(int pid) {
        if (run("jcmd", Integer.toString(pid), "GC.run") == null) {
            return -1;
        }
        String info = run("jcmd", Integer.toString(pid), "GC.heap_info");
        return info == null ? -1 : parseUsed(info);
    }

    /** Sums the "used" of every heap line (G1: one "garbage-first heap" line; others: one per generation). */
    static long parseUsed(String heapInfo) {
        long used = 0;
        boolean found = false;
        for (String line : heapInfo.split("\n")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher m = USED.matcher(line);
            if (m.find()) {
                used += Long.parseLong(m.group(2)) * 1024;
                found = true;
            }
        }
        return found ? used : -1;
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
