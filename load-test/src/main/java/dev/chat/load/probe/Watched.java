package dev.chat.load.probe;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A process given with {@code --pid name=PID}: one process, or with {@code name=PID+} the process and
 * its descendants (PostgreSQL's backends), or with {@code name=PID+text} only descendants whose command
 * line contains {@code text} (the backends of one database).
 */
public record Watched(String name, int pid, boolean tree, String filter) {

    public static Watched parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--pid wants name=PID, name=PID+ or name=PID+filter, got " + spec);
        }
        String name = spec.substring(0, eq);
        String rest = spec.substring(eq + 1);
        int plus = rest.indexOf('+');
        int pid = Integer.parseInt(plus < 0 ? rest : rest.substring(0, plus));
        String filter = plus < 0 ? "" : rest.substring(plus + 1);
        return new Watched(name, pid, plus >= 0, filter);
    }

    /** CPU seconds, RSS bytes and system (kernel) CPU seconds summed over the process (and the matching descendants). Null when gone. */
    public double[] sample() {
        ProcStat.Sample root = ProcStat.stat(pid);
        if (root == null) {
            return null;
        }
        double cpu = root.cpuSeconds();
        double system = root.systemSeconds();
        long rss = Math.max(0, ProcStat.rssBytes(pid));
        if (tree) {
            for (int child : descendants()) {
                if (!filter.isEmpty() && !ProcStat.cmdline(child).contains(filter)) {
                    continue;
                }
                ProcStat.Sample s = ProcStat.stat(child);
                if (s != null) {
                    cpu += s.cpuSeconds();
                    system += s.systemSeconds();
                    rss += Math.max(0, ProcStat.rssBytes(child));
                }
            }
        }
        return new double[] {cpu, rss, system};
    }

    private List<Integer> descendants() {
        Map<Integer, List<Integer>> children = new HashMap<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                int child = Integer.parseInt(p.getFileName().toString());
                ProcStat.Sample s = ProcStat.stat(child);
                if (s != null) {
                    children.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(child);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        List<Integer> todo = new ArrayList<>(children.getOrDefault(pid, List.of()));
        while (!todo.isEmpty()) {
            int c = todo.remove(todo.size() - 1);
            out.add(c);
            todo.addAll(children.getOrDefault(c, List.of()));
        }
        return out;
    }

    /** Whether the main process is a JVM (jcmd can then force a full GC and read the heap). */
    public boolean isJvm() {
        String cmd = ProcStat.cmdline(pid);
        return cmd.startsWith("java ") || cmd.contains("/java ") || cmd.contains("bin/java");
    }
}
