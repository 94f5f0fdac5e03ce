package dev.chat.load.report;

import dev.chat.load.measure.Latency;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A single HTML file with inline SVG charts (latency over time, latency distribution, deliveries per
 * second) and the run's tables: nothing loaded from elsewhere, so it can be mailed or archived as is.
 */
final class HtmlReport {

    private static final int W = 760;
    private static final int H = 260;
    private static final int PAD = 50;

    private HtmlReport() {
    }

    static String render(Map<String, Object> r) {
        StringBuilder b = new StringBuilder(64_000);
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Load report: ").append(esc(r.get("label")))
                .append("</title><style>body{font:14px system-ui,sans-serif;margin:24px;max-width:900px}table{border-collapse:collapse;"
                        + "margin:8px 0 18px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
                        + ".bad{background:#fdd;border:2px solid #c00;padding:10px;font-weight:bold}.good{background:#dfd;padding:8px}"
                        + "svg{border:1px solid #ddd;background:#fff}h2{margin-top:26px}</style></head><body>");
        b.append("<h1>Load report: ").append(esc(r.get("label"))).append("</h1><p>").append(esc(r.get("protocol")))
                .append(" protocol, mode ").append(esc(r.get("mode"))).append(", started ").append(esc(r.get("startedAt"))).append("</p>");
        Object integrity = r.get("integrity");
        if (integrity instanceof Map<?, ?> i) {
            if (Boolean.TRUE.equals(i.get("clean"))) {
                b.append("<p class=\"good\">Integrity: 0 lost, 0 duplicated, 0 out of order (").append(i.get("expectedDeliveries"))
                        .append(" deliveries expected).</p>");
            } else {
                b.append("<p class=\"bad\">INTEGRITY PROBLEM: lost ").append(i.get("lost")).append(", duplicated ")
                        .append(i.get("duplicated")).append(", out of order ").append(i.get("outOfOrder"))
                        .append(", delivered for a room not joined ").append(i.get("deliveredForRoomNotJoined"))
                        .append("cap".equals(i.get("drainEnd")) ? " (the drain ended at --drain-max while deliveries were still"
                                + " arriving: the missing ones may be queued, not dropped)" : "").append(".</p>");
            }
        }
        if (r.get("send") instanceof Map<?, ?> send && r.get("latency") instanceof Map<?, ?> lat) {
            b.append("<p><b>").append(esc(send.get("deliveriesPerSecond"))).append(" deliveries/s</b> (")
                    .append(esc(send.get("sentPerSecond"))).append(" sends/s); latency p50 ").append(esc(lat.get("p50Ms")))
                    .append(" ms, p99 ").append(esc(lat.get("p99Ms"))).append(" ms, p99.9 ").append(esc(lat.get("p999Ms")))
                    .append(" ms, max ").append(esc(lat.get("maxMs"))).append(" ms.</p>");
        }
        if (r.get("cpu") instanceof Map<?, ?> cpu) {
            b.append("<p>Limited by: ").append(esc(cpu.get("limitedBy"))).append("</p>");
        }
        if (r.get("refusals") instanceof Map<?, ?> ref && !ref.isEmpty()) {
            b.append("<p class=\"bad\">Refusals: ").append(esc(ref)).append("</p>");
        }
        @SuppressWarnings("unchecked")
        List<Latency.Interval> timeline = (List<Latency.Interval>) r.getOrDefault("latencyTimeline", List.of());
        if (!timeline.isEmpty()) {
            b.append("<h2>Latency over time (ms, log scale; by second of arrival)</h2>");
            List<double[]> p50 = new ArrayList<>();
            List<double[]> p99 = new ArrayList<>();
            List<double[]> max = new ArrayList<>();
            for (Latency.Interval i : timeline) {
                p50.add(new double[] {i.second(), i.p50Ms()});
                p99.add(new double[] {i.second(), i.p99Ms()});
                max.add(new double[] {i.second(), i.maxMs()});
            }
            chart(b, "seconds since start", List.of(p50, p99, max), List.of("p50", "p99", "max"), false);
        }
        @SuppressWarnings("unchecked")
        List<double[]> dist = (List<double[]>) r.getOrDefault("latencyDistribution", List.of());
        if (!dist.isEmpty()) {
            b.append("<h2>Latency distribution (ms by percentile, log scales)</h2>");
            List<double[]> pts = new ArrayList<>();
            for (double[] d : dist) {
                double p = Math.min(d[0], 99.999);
                pts.add(new double[] {Math.log10(100.0 / (100.0 - p)), d[1]});
            }
            chart(b, "percentile (0 = p0, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99)", List.of(pts), List.of("latency"), false);
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> progress = (List<Map<String, Object>>) r.getOrDefault("progress", List.of());
        if (!progress.isEmpty()) {
            List<double[]> d = new ArrayList<>();
            List<double[]> s = new ArrayList<>();
            for (Map<String, Object> p : progress) {
                double t = ((Number) p.get("t")).doubleValue();
                d.add(new double[] {t, ((Number) p.get("deliveriesPerSecond")).doubleValue()});
                s.add(new double[] {t, ((Number) p.get("sentPerSecond")).doubleValue()});
            }
            b.append("<h2>Deliveries and sends per second</h2>");
            chart(b, "seconds since start", List.of(d, s), List.of("deliveries/s", "sends/s"), true);
        }
        for (String section : List.of("connect", "send", "latency", "ackLatency", "integrity", "costs", "cpu", "historyIngest", "idle",
                "closes", "otherFrames", "options")) {
            Object v = r.get(section);
            if (v instanceof Map<?, ?> m && !m.isEmpty()) {
                b.append("<h2>").append(section).append("</h2>");
                table(b, m);
            }
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void table(StringBuilder b, Map<?, ?> m) {
        b.append("<table>");
        for (Map.Entry<?, ?> e : m.entrySet()) {
            b.append("<tr><th>").append(esc(e.getKey())).append("</th><td>");
            if (e.getValue() instanceof Map<?, ?> inner && !inner.isEmpty()) {
                table(b, inner);
            } else {
                b.append(esc(e.getValue()));
            }
            b.append("</td></tr>");
        }
        b.append("</table>");
    }

    private static final String[] COLORS = {"#1f77b4", "#d62728", "#555", "#2ca02c"};

    /** A line chart; y is logarithmic unless linear is set. */
    private static void chart(StringBuilder b, String xLabel, List<List<double[]>> series, List<String> names, boolean linear) {
        double xmin = Double.MAX_VALUE;
        double xmax = -Double.MAX_VALUE;
        double ymin = Double.MAX_VALUE;
        double ymax = -Double.MAX_VALUE;
        for (List<double[]> s : series) {
            for (double[] p : s) {
                xmin = Math.min(xmin, p[0]);
                xmax = Math.max(xmax, p[0]);
                ymin = Math.min(ymin, p[1]);
                ymax = Math.max(ymax, p[1]);
            }
        }
        if (xmax <= xmin) {
            xmax = xmin + 1;
        }
        if (linear) {
            ymin = 0;
            ymax = Math.max(ymax, 1);
        } else {
            ymin = Math.max(0.01, ymin);
            ymax = Math.max(ymax, ymin * 10);
        }
        double fy0 = linear ? ymin : Math.log10(ymin);
        double fy1 = linear ? ymax : Math.log10(ymax);
        b.append("<svg width=\"").append(W).append("\" height=\"").append(H + 40).append("\" xmlns=\"http://www.w3.org/2000/svg\">");
        b.append("<line x1=\"").append(PAD).append("\" y1=\"").append(H).append("\" x2=\"").append(W - 10).append("\" y2=\"").append(H)
                .append("\" stroke=\"#000\"/><line x1=\"").append(PAD).append("\" y1=\"10\" x2=\"").append(PAD).append("\" y2=\"").append(H)
                .append("\" stroke=\"#000\"/>");
        for (int k = 0; k <= 4; k++) {
            double f = fy0 + (fy1 - fy0) * k / 4;
            double v = linear ? f : Math.pow(10, f);
            int y = (int) (H - (H - 10) * k / 4.0);
            b.append("<text x=\"2\" y=\"").append(y + 4).append("\" font-size=\"10\">").append(num(v)).append("</text>");
            b.append("<line x1=\"").append(PAD).append("\" y1=\"").append(y).append("\" x2=\"").append(W - 10).append("\" y2=\"").append(y)
                    .append("\" stroke=\"#eee\"/>");
            double xv = xmin + (xmax - xmin) * k / 4;
            int x = (int) (PAD + (W - 10 - PAD) * k / 4.0);
            b.append("<text x=\"").append(x).append("\" y=\"").append(H + 14).append("\" font-size=\"10\">").append(num(xv)).append("</text>");
        }
        b.append("<text x=\"").append(PAD).append("\" y=\"").append(H + 32).append("\" font-size=\"11\">").append(esc(xLabel)).append("</text>");
        for (int s = 0; s < series.size(); s++) {
            String color = COLORS[s % COLORS.length];
            b.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.5\" points=\"");
            for (double[] p : series.get(s)) {
                double yv = linear ? p[1] : Math.log10(Math.max(ymin, p[1]));
                double x = PAD + (W - 10 - PAD) * (p[0] - xmin) / (xmax - xmin);
                double y = H - (H - 10) * (yv - fy0) / (fy1 - fy0 == 0 ? 1 : fy1 - fy0);
                b.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            b.append("\"/><text x=\"").append(W - 150).append("\" y=\"").append(20 + 14 * s).append("\" font-size=\"11\" fill=\"")
                    .append(color).append("\">").append(esc(names.get(s))).append("</text>");
        }
        b.append("</svg>");
    }

    private static String num(double v) {
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, v >= 1 ? "%.1f" : "%.2f", v);
    }

    static String esc(Object o) {
        String s = String.valueOf(o);
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
