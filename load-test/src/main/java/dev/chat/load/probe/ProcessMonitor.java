package dev.chat.load.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples every watched process, the load tool itself and the whole machine once a second, and sums
 * CPU over the measurement window: each process's CPU seconds, its busiest second, its RSS, and so which
 * one was at a core's limit.
 */
public final class ProcessMonitor {

    /** Share of one core above which a process counts as the run's limit. */
    public static final double SATURATED = 0.85;

    private final List<Watched> watched = new ArrayList<>();
    private final Map<String, double[]> last = new LinkedHashMap<>();
    private final Map<String, double[]> windowStart = new LinkedHashMap<>();
    private final Map<String, Double> peakShare = new LinkedHashMap<>();
    private final Map<String, List<Double>> shares = new LinkedHashMap<>();
    private final Map<String, Long> rss = new LinkedHashMap<>();
    /** The JVMs among the watched processes, by name. */
    private final Map<String, JitCompilers> jits = new LinkedHashMap<>();
    private final Map<String, Double> jitWindowStart = new LinkedHashMap<>();
    private long[] machineLast;
    private long[] machineWindowStart;
    private double machinePeak;
    private long lastNanos;
    private long windowStartNanos;
    private boolean inWindow;
    private final int cores = Runtime.getRuntime().availableProcessors();

    public ProcessMonitor(List<Watched> watched) {
        this.watched.add(new Watched("load-tool", (int) ProcessHandle.current().pid(), false, ""));
        this.watched.addAll(watched);
        for (Watched w : watched) {
            if (!w.tree() && w.isJvm()) {
                jits.put(w.name(), new JitCompilers(w.pid()));
            }
        }
    }

    public List<Watched> watched() {
        return List.copyOf(watched);
    }

    /** Takes a sample; returns each process's share of a core since the previous sample. */
    public synchronized Map<String, Double> sample() {
        long now = System.nanoTime();
        double elapsed = lastNanos == 0 ? 0 : (now - lastNanos) / 1e9;
        Map<String, Double> out = new LinkedHashMap<>();
        for (Watched w : watched) {
            double[] s = w.sample();
            if (s == null) {
                out.put(w.name(), -1.0);
                continue;
            }
            double[] prev = last.put(w.name(), s);
            rss.put(w.name(), (long) s[1]);
            if (prev != null && elapsed > 0) {
                double share = (s[0] - prev[0]) / elapsed;
                out.put(w.name(), share);
                if (inWindow) {
                    peakShare.merge(w.name(), share, Math::max);
                    shares.computeIfAbsent(w.name(), k -> new ArrayList<>()).add(share);
                }
            }
        }
        jits.values().forEach(JitCompilers::sample);
        long[] m = ProcStat.machine();
        if (machineLast != null && m[1] > machineLast[1] && inWindow) {
            machinePeak = Math.max(machinePeak, (double) (m[0] - machineLast[0]) / (m[1] - machineLast[1]));
        }
        machineLast = m;
        lastNanos = now;
        return out;
    }

    public synchronized void startWindow() {
        sample();
        windowStart.clear();
        windowStart.putAll(last);
        jitWindowStart.clear();
        jits.forEach((name, jit) -> jitWindowStart.put(name, jit.seconds()));
        machineWindowStart = machineLast;
        windowStartNanos = System.nanoTime();
        inWindow = true;
    }

    /**
     * Ends the window; per process: cpuSeconds, systemCpuSeconds (the kernel's part: on loopback it includes the TCP
     * work of the receiving end), jitCpuSeconds (a JVM's JIT compiler threads' part), coreShare (average), peakCoreShare, rssBytes; plus the verdict.
     */
    public synchronized Map<String, Object> endWindow() {
        sample();
        inWindow = false;
        double seconds = (System.nanoTime() - windowStartNanos) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> procs = new LinkedHashMap<>();
        String limiter = null;
        double worst = 0;
        for (Watched w : watched) {
            double[] a = windowStart.get(w.name());
            double[] b = last.get(w.name());
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("pid", w.pid());
            if (a == null || b == null) {
                p.put("gone", true);
                procs.put(w.name(), p);
                continue;
            }
            double cpu = b[0] - a[0];
            double avg = seconds > 0 ? cpu / seconds : 0;
            p.put("cpuSeconds", round(cpu, 3));
            p.put("systemCpuSeconds", round(b[2] - a[2], 3));
            if (jits.containsKey(w.name())) {
                // The JIT compiler threads' part (a JVM's): compiling, not the work measured.
                p.put("jitCpuSeconds", round(jits.get(w.name()).seconds() - jitWindowStart.get(w.name()), 3));
            }
            p.put("coreShare", round(avg, 3));
            p.put("peakCoreShare", round(peakShare.getOrDefault(w.name(), avg), 3));
            p.put("rssBytes", rss.getOrDefault(w.name(), 0L));
            procs.put(w.name(), p);
            if (avg > worst) {
                worst = avg;
                limiter = w.name();
            }
        }
        out.put("windowSeconds", round(seconds, 3));
        out.put("processes", procs);
        double machine = 0;
        if (machineWindowStart != null && machineLast[1] > machineWindowStart[1]) {
            machine = (double) (machineLast[0] - machineWindowStart[0]) / (machineLast[1] - machineWindowStart[1]);
        }
        out.put("machineBusy", round(machine, 3));
        out.put("machinePeakBusy", round(machinePeak, 3));
        out.put("cores", cores);
        List<String> saturated = new ArrayList<>();
        for (Map.Entry<String, Object> e : procs.entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> p = (Map<String, Object>) e.getValue();
            Object share = p.get("coreShare");
            if (share instanceof Double d && d >= SATURATED) {
                saturated.add(e.getKey());
            }
        }
        String verdict;
        if (!saturated.isEmpty()) {
            verdict = String.join(", ", saturated) + " at a core's limit (>= " + (int) (SATURATED * 100) + "% of one core)";
        } else if (machine >= 0.9) {
            verdict = "the machine's CPUs (" + Math.round(machine * 100) + "% of " + cores + " cores busy); busiest: " + limiter;
        } else {
            verdict = "nothing saturated (busiest: " + limiter + " at " + Math.round(worst * 100) + "% of a core)";
        }
        out.put("saturated", saturated);
        out.put("limitedBy", verdict);
        return out;
    }

    public synchronized Map<String, Long> rssNow() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Watched w : watched) {
            double[] s = w.sample();
            out.put(w.name(), s == null ? -1L : (long) s[1]);
        }
        return out;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
