package dev.chat.load.probe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Live heap, through {@code jcmd PID GC.class_histogram}: the bytes of every object a full GC left
 * reachable. Tells retained memory per connection apart from heap the JVM grew lazily and has not given
 * back. Not {@code GC.heap_info}'s "used": what the process allocates between the GC and that reading
 * sits in eden (up to the whole young generation) and would count as retained.
 */
public final class HeapProbe {

    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

    /**
     * A serial full GC may leave up to 5 % of the old generation in place as dead objects (int[] fillers,
     * which a histogram counts) and compacts fully on every fourth (HotSpot's MarkSweepAlwaysCompactCount):
     * with three full GCs before the histogram's own, one of the four compacts fully.
     */
    private static final int FULL_GCS_BEFORE = 3;

    private HeapProbe() {
    }

    /** Bytes of live heap after a full GC, or -1 when jcmd is missing or the output is not understood. */
    public static long usedAfterFullGc(int pid) {
        for (int i = 0; i < FULL_GCS_BEFORE; i++) {
            if (run("jcmd", Integer.toString(pid), "GC.run") == null) {
                return -1;
            }
        }
        String histogram = run("jcmd", Integer.toString(pid), "GC.class_histogram");
        return histogram == null ? -1 : parseLiveBytes(histogram);
    }

    /** The histogram's total bytes (its last line: "Total  instances  bytes"). */
    static long parseLiveBytes(String histogram) {
        Matcher total = TOTAL.matcher(histogram);
        return total.find() ? Long.parseLong(total.group(1)) : -1;
    }

    /** The command's output, or null if it failed or did not finish within a minute (a JVM whose attach never answers). */
    private static String run(String... command) {
        Path output = null;
        try {
            // Output to a file, so that the wait below is bounded: reading a pipe to its end waits for jcmd however long.
            output = Files.createTempFile("jcmd", ".txt");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? Files.readString(output, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }
}
