package dev.chat.load.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a benchmark results directory (one JSON report per run, named {@code S<n>-<system>-run<k>[-rate<r>|-cores<c>]})
 * and prints the markdown summary: per scenario and figure, the median and min-max of each system and the
 * ratio of ours to the peer; what limited each run; every run with an integrity problem, first.
 * {@code --check-rung FILE} instead exits 0 when a ladder rung passed (p99 <= 100 ms, nothing lost or reordered).
 */
public final class Summary {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("(S\\d+)-(ours|sharded|peer)-run(\\d+)(?:-(rate|cores|pass)(\\d+))?\\.json");

    /** One run's figures. */
    record Run(String scenario, String system, int run, String variant, JsonNode json) {
        String key() {
            return variant == null ? scenario : scenario + " " + variant;
        }
    }

    private Summary() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--check-rung")) {
            System.exit(rungPassed(JSON.readTree(Path.of(args[1]).toFile())) ? 0 : 1);
        }
        if (args.length != 1) {
            System.err.println("usage: Summary RESULTS_DIR | --check-rung REPORT.json");
            System.exit(64);
        }
        System.out.print(render(Path.of(args[0])));
    }

    static boolean rungPassed(JsonNode r) {
        double p99 = r.path("latency").path("p99Ms").asDouble(Double.MAX_VALUE);
        return p99 <= 100 && r.path("integrity").path("clean").asBoolean(false) && r.path("integrity").path("lost").asLong(1) == 0
                && r.path("latency").path("count").asLong(0) > 0;
    }

    static String render(Path dir) throws IOException {
        List<Run> runs = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    String variant = m.group(4) == null ? null : m.group(4) + " " + m.group(5);
                    runs.add(new Run(m.group(1), m.group(2), Integer.parseInt(m.group(3)), variant, JSON.readTree(p.toFile())));
                }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("# Benchmark summary\n\n");
        b.append("Results: `").append(dir.getFileName()).append("`; ").append(runs.size()).append(" reports. Machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores. Each cell: median (min-max) over the runs; ratio = ours / peer (medians).\n\n");
        List<String> bad = new ArrayList<>();
        for (Run r : runs) {
            JsonNode i = r.json().path("integrity");
            if (!i.isMissingNode() && !i.path("clean").asBoolean(true)) {
                bad.add(name(r) + ": lost " + i.path("lost").asLong() + ", duplicated " + i.path("duplicated").asLong() + ", out of order "
                        + i.path("outOfOrder").asLong() + ", for a room not joined " + i.path("deliveredForRoomNotJoined").asLong()
                        + ("cap".equals(i.path("drainEnd").asText()) ? " (drain cut at --drain-max while still delivering: may be backlog)" : ""));
            }
        }
        if (!bad.isEmpty()) {
            b.append("## !! Integrity problems\n\n");
            bad.forEach(s -> b.append("- **").append(s).append("**\n"));
            b.append('\n');
        }
        Map<String, Map<String, Map<String, List<Double>>>> table = new TreeMap<>(Summary::compareKeys);
        for (Run r : runs) {
            Map<String, Double> figures = figures(r);
            Map<String, Map<String, List<Double>>> byMetric = table.computeIfAbsent(r.key(), k -> new LinkedHashMap<>());
            figures.forEach((metric, v) -> {
                if (v != null) {
                    byMetric.computeIfAbsent(metric, k -> new LinkedHashMap<>()).computeIfAbsent(r.system(), k -> new ArrayList<>()).add(v);
                }
            });
        }
        // "sharded": ours on a Redis Cluster of three masters, compared with ours on one Redis.
        boolean sharded = runs.stream().anyMatch(r -> "sharded".equals(r.system()));
        for (Map.Entry<String, Map<String, Map<String, List<Double>>>> s : table.entrySet()) {
            b.append("## ").append(s.getKey()).append(": ").append(title(s.getKey())).append("\n\n");
            b.append(sharded ? "| figure | ours | ours, 3 Redis shards | Socket.IO peer | ours / peer | 3 shards / 1 |\n|---|---|---|---|---|---|\n"
                    : "| figure | ours | Socket.IO peer | ours / peer |\n|---|---|---|---|\n");
            for (Map.Entry<String, Map<String, List<Double>>> m : s.getValue().entrySet()) {
                List<Double> ours = m.getValue().getOrDefault("ours", List.of());
                List<Double> peer = m.getValue().getOrDefault("peer", List.of());
                b.append("| ").append(m.getKey()).append(" | ").append(cell(ours)).append(" | ");
                if (sharded) {
                    b.append(cell(m.getValue().getOrDefault("sharded", List.of()))).append(" | ");
                }
                b.append(cell(peer)).append(" | ").append(ratio(ours, peer)).append(" |");
                if (sharded) {
                    b.append(' ').append(ratio(m.getValue().getOrDefault("sharded", List.of()), ours)).append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }
        ladder(b, runs);
        b.append("## What limited each run\n\n| run | limited by | machine busy |\n|---|---|---|\n");
        for (Run r : runs) {
            JsonNode cpu = r.json().path("cpu");
            if (!cpu.isMissingNode()) {
                b.append("| ").append(name(r)).append(" | ").append(cpu.path("limitedBy").asText()).append(" | ")
                        .append(Math.round(cpu.path("machineBusy").asDouble() * 100)).append("% |\n");
            }
        }
        b.append('\n');
        return b.toString();
    }

    private static String ratio(List<Double> of, List<Double> to) {
        return of.isEmpty() || to.isEmpty() || median(to) == 0 ? "" : fmt(median(of) / median(to)) + "x";
    }

    /** The figures of one run that its scenario is about. */
    static Map<String, Double> figures(Run r) {
        JsonNode j = r.json();
        Map<String, Double> f = new LinkedHashMap<>();
        JsonNode connect = j.path("connect");
        switch (r.scenario()) {
            case "S1", "S2" -> {
                f.put("connect and join, all clients (s)", num(connect.path("seconds")));
                f.put("clients not joined (refused, failed, timed out)", (double) (connect.path("clients").asLong() - connect.path("joined").asLong()));
                f.put("refusals (all codes)", refusals(j));
                f.put("per-client connect+join p99 (ms)", num(connect.path("perClient").path("p99Ms")));
                f.put("servers' CPU per client, both servers (us)", serversCpuPer(j, connect.path("joined").asDouble()));
                f.put("of it the JIT compilers (us)", serversJitPer(j, connect.path("joined").asDouble()));
            }
            case "S4" -> {
                JsonNode p = j.path("idle").path("processes");
                f.put("connections held", num(j.path("idle").path("connections")));
                f.put("RSS per connection, both servers (KB)", kb(sum(p, "rssPerConnectionBytes")));
                f.put("RSS per connection, both servers, each end after a full GC (KB)", kb(sum(p, "rssPerConnectionAfterFullGcBytes")));
                f.put("heap per connection after full GC (KB)", kb(sum(p, "heapPerConnectionBytes")));
                f.put("Redis RSS per connection (KB)", kb(num(p.path("redis").path("rssPerConnectionBytes"))));
                f.put("servers' CPU per connect, both servers (us)", serversCpuPer(j, j.path("idle").path("connections").asDouble()));
                f.put("of it the JIT compilers (us)", serversJitPer(j, j.path("idle").path("connections").asDouble()));
            }
            default -> {
                f.put("deliveries/s", num(j.path("send").path("deliveriesPerSecond")));
                f.put("sends/s", num(j.path("send").path("sentPerSecond")));
                f.put("latency p50 (ms)", num(j.path("latency").path("p50Ms")));
                f.put("latency p99 (ms)", num(j.path("latency").path("p99Ms")));
                f.put("latency p99.9 (ms)", num(j.path("latency").path("p999Ms")));
                f.put("latency max (ms)", num(j.path("latency").path("maxMs")));
                JsonNode integrity = j.path("integrity");
                f.put("lost + duplicated + out of order", integrity.isMissingNode() ? null
                        : orZero(integrity.path("lost")) + orZero(integrity.path("duplicated")) + orZero(integrity.path("outOfOrder")));
                f.put("sends never answered", num(integrity.path("sendsNeverAnswered")));
                // Apart: a refused join is a client not joined too, and counted once in each.
                f.put("clients not joined (refused, failed, timed out)", (double) (connect.path("clients").asLong() - connect.path("joined").asLong()));
                f.put("refusals (joins, sends, connects)", refusals(j));
                JsonNode cpu = j.path("cpu").path("processes");
                double deliveries = j.path("send").path("deliveries").asDouble();
                double acked = j.path("send").path("acked").asDouble();
                double servers = servers(cpu, "cpuSeconds");
                f.put("server CPU per delivery (us)", deliveries > 0 ? servers * 1e6 / deliveries : null);
                // Reports written before the tool split user and system time have no kernel figure.
                boolean split = cpu.path("server-a").has("systemCpuSeconds");
                double serversKernel = servers(cpu, "systemCpuSeconds");
                f.put("of it in the kernel (us)", deliveries > 0 && split ? serversKernel * 1e6 / deliveries : null);
                f.put("of it the JIT compilers (us)", serversJitPer(j, deliveries));
                f.put("Redis CPU per send (us)", acked > 0 && cpu.has("redis") ? orZero(cpu.path("redis").path("cpuSeconds")) * 1e6 / acked : null);
                f.put("history CPU per stored message (us)", acked > 0 && cpu.has("history") ? orZero(cpu.path("history").path("cpuSeconds")) * 1e6 / acked : null);
                f.put("of it history's JIT compilers (us)", acked > 0 && cpu.path("history").has("jitCpuSeconds")
                        ? cpu.path("history").path("jitCpuSeconds").asDouble() * 1e6 / acked : null);
                f.put("PostgreSQL CPU per stored message (us)", acked > 0 && cpu.has("postgres") ? orZero(cpu.path("postgres").path("cpuSeconds")) * 1e6 / acked : null);
                f.put("load tool CPU (share of a core)", num(cpu.path("load-tool").path("coreShare")));
                JsonNode churn = j.path("churn");
                if (!churn.isMissingNode()) {
                    f.put("churn: clients started per second", num(churn.path("startedPerSecond")));
                    f.put("churn: connect+join p99 (ms)", num(churn.path("connectJoin").path("p99Ms")));
                    f.put("churn: clients failed or refused", num(churn.path("failed")));
                }
                JsonNode ingest = j.path("historyIngest");
                if (!ingest.isMissingNode()) {
                    f.put("history ingest lag, max sampled (ms)", num(ingest.path("lagMaxMs")));
                    f.put("history catch-up after sends stop (ms)", ingest.path("catchUpAfterSendStopMs").isNumber()
                            ? ingest.path("catchUpAfterSendStopMs").asDouble() : null);
                }
            }
        }
        f.values().removeIf(v -> v != null && v.isNaN());
        return f;
    }

    /** Both servers' CPU over the run's window (the connect phase, for S1, S2 and S4) per {@code count}, in microseconds. */
    private static Double serversCpuPer(JsonNode j, double count) {
        JsonNode cpu = j.path("cpu").path("processes");
        return count <= 0 || !cpu.has("server-a") ? null : servers(cpu, "cpuSeconds") * 1e6 / count;
    }

    /**
     * Of {@link #serversCpuPer}, the JIT compiler threads' part, in microseconds: null for servers that are not JVMs (the
     * peer's) and for reports written before the tool read it.
     */
    private static Double serversJitPer(JsonNode j, double count) {
        JsonNode cpu = j.path("cpu").path("processes");
        return count <= 0 || !cpu.path("server-a").has("jitCpuSeconds") ? null : servers(cpu, "jitCpuSeconds") * 1e6 / count;
    }

    /** A figure of a run's {@code cpu.processes} summed over both servers. */
    private static double servers(JsonNode processes, String figure) {
        return orZero(processes.path("server-a").path(figure)) + orZero(processes.path("server-b").path(figure));
    }

    private static void ladder(StringBuilder b, List<Run> runs) {
        Map<String, Map<Integer, Integer>> best = new TreeMap<>();
        Map<String, Map<Integer, Integer>> tried = new TreeMap<>();
        for (Run r : runs) {
            if (!r.scenario().equals("S7") || r.variant() == null) {
                continue;
            }
            int rate = Integer.parseInt(r.variant().substring("rate ".length()));
            tried.computeIfAbsent(r.system(), k -> new TreeMap<>()).merge(r.run(), rate, Math::max);
            if (rungPassed(r.json())) {
                best.computeIfAbsent(r.system(), k -> new TreeMap<>()).merge(r.run(), rate, Math::max);
            }
        }
        if (tried.isEmpty()) {
            return;
        }
        b.append("## S7 ladder: highest rate with p99 <= 100 ms and nothing lost (msg/s into one room of 1,010)\n\n");
        b.append("| system | per run (highest passing / highest tried) |\n|---|---|\n");
        for (String sys : tried.keySet()) {
            StringBuilder cells = new StringBuilder();
            for (Map.Entry<Integer, Integer> t : tried.get(sys).entrySet()) {
                Integer pass = best.getOrDefault(sys, Map.of()).get(t.getKey());
                cells.append("run ").append(t.getKey()).append(": ").append(pass == null ? "none" : pass).append(" / ").append(t.getValue()).append("; ");
            }
            b.append("| ").append(sys).append(" | ").append(cells).append("|\n");
        }
        b.append('\n');
    }

    private static String title(String key) {
        String s = key.split(" ")[0];
        return switch (s) {
            case "S1" -> "connect storm (clients connect and join, rooms of 100)";
            case "S2" -> "1,010 clients connect and join one room";
            case "S3" -> "2,000 clients in 200 rooms of 10 at 2,000 msg/s";
            case "S4" -> "idle connections: memory per connection";
            case "S5" -> "one room of 1,010 at 30 msg/s";
            case "S6" -> "one room of 1,010 at 60 msg/s";
            case "S7" -> "rate ladder, one room of 1,010";
            case "S8" -> "one server instance on 1 vs 2 cores (taskset), one room of 1,010 at 150 msg/s";
            case "S9" -> "hold and churn: held clients in rooms of 10 keep sending while more connect, join and leave";
            default -> "";
        } + (key.startsWith("S4 pass ") ? " (" + key.substring(3) + ": the same connections again on the same processes, the cost once warm)"
                : key.contains(" ") ? " (" + key.substring(key.indexOf(' ') + 1) + ")" : "");
    }

    private static int compareKeys(String a, String b) {
        String[] x = a.split(" ");
        String[] y = b.split(" ");
        int c = Integer.compare(Integer.parseInt(x[0].substring(1)), Integer.parseInt(y[0].substring(1)));
        if (c != 0 || x.length == 1 || y.length == 1) {
            return c != 0 ? c : Integer.compare(x.length, y.length);
        }
        return Integer.compare(Integer.parseInt(x[2]), Integer.parseInt(y[2]));
    }

    private static String name(Run r) {
        return r.scenario() + "-" + r.system() + "-run" + r.run() + (r.variant() == null ? "" : "-" + r.variant().replace(" ", ""));
    }

    private static double refusals(JsonNode j) {
        double total = 0;
        Iterator<JsonNode> it = j.path("refusals").elements();
        while (it.hasNext()) {
            total += it.next().asDouble();
        }
        return total;
    }

    private static Double sum(JsonNode processes, String field) {
        JsonNode a = processes.path("server-a").path(field);
        JsonNode b = processes.path("server-b").path(field);
        if (!a.isNumber() && !b.isNumber()) {
            return null;
        }
        return orZero(a) + orZero(b);
    }

    private static Double kb(Double bytes) {
        return bytes == null ? null : bytes / 1024.0;
    }

    private static double orZero(JsonNode n) {
        return n.isNumber() ? n.asDouble() : 0;
    }

    private static Double num(JsonNode n) {
        return n.isNumber() ? n.asDouble() : null;
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String cell(List<Double> v) {
        if (v.isEmpty()) {
            return "";
        }
        if (v.size() == 1) {
            return fmt(v.get(0));
        }
        double min = v.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = v.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return fmt(median(v)) + " (" + fmt(min) + "-" + fmt(max) + ")";
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
