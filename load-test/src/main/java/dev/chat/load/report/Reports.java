package dev.chat.load.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chat.load.measure.DeliveryLedger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a run's figures into the JSON document and the self-contained HTML page. */
public final class Reports {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Reports() {
    }

    public static Map<String, Object> integrity(DeliveryLedger.Integrity i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clean", i.clean());
        m.put("expectedDeliveries", i.expected());
        m.put("delivered", i.delivered());
        m.put("lost", i.lost());
        m.put("duplicated", i.duplicated());
        m.put("outOfOrder", i.outOfOrder());
        m.put("deliveredForRoomNotJoined", i.notJoined());
        m.put("deliveredFromBeforeJoin", i.beforeJoin());
        m.put("sendsNeverAnswered", i.unacked());
        m.put("ackedButReachedNoMember", i.ackedNotDelivered());
        return m;
    }

    /** CPU microseconds per delivery and per acked send, for every watched process. */
    public static Map<String, Object> costs(Map<String, Object> cpu, long deliveries, long acks) {
        Map<String, Object> out = new LinkedHashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> procs = (Map<String, Map<String, Object>>) cpu.get("processes");
        for (Map.Entry<String, Map<String, Object>> e : procs.entrySet()) {
            Object s = e.getValue().get("cpuSeconds");
            if (!(s instanceof Double sec)) {
                continue;
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("cpuMicrosPerDelivery", deliveries > 0 ? Math.round(sec * 1e8 / deliveries) / 100.0 : null);
            c.put("cpuMicrosPerAckedSend", acks > 0 ? Math.round(sec * 1e8 / acks) / 100.0 : null);
            out.put(e.getKey(), c);
        }
        return out;
    }

    public static void write(String out, Map<String, Object> result, List<Map<String, Object>> progress) throws IOException {
        result.put("progress", progress);
        Path json = Path.of(out + ".json");
        if (json.getParent() != null) {
            Files.createDirectories(json.getParent());
        }
        JSON.writeValue(json.toFile(), result);
        Files.writeString(Path.of(out + ".html"), HtmlReport.render(result));
    }
}
