package dev.chat.history;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the alert rules in deploy/kubernetes/monitoring ask only for series this
 * service really exposes: every chat_* name they use is scraped from the running service's
 * /q/metrics (a renamed meter fails here, not silently on a dashboard).
 */
@QuarkusTest
class MonitoringFilesTest {

    static final Path MONITORING = Path.of("../deploy/kubernetes/monitoring");
    static final Pattern OURS = Pattern.compile("\\bchat_history_[a-z0-9_]+\\b");

    @Test
    void everySeriesTheDashboardAndAlertsUseIsExposed() throws IOException {
        String metrics = Management.given().get("/q/metrics").then().statusCode(200).extract().asString();
        Set<String> exposed = new TreeSet<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exposed.add(line.split("[{ ]", 2)[0]);
            }
        }
        Set<String> used = new TreeSet<>();
        for (String file : new String[] {"chat-dashboard.json", "alerts.yaml"}) {
            Matcher name = OURS.matcher(Files.readString(MONITORING.resolve(file)));
            while (name.find()) {
                used.add(name.group());
            }
        }
        assertFalse(used.isEmpty(), "the monitoring files use no chat_history_* series");
        for (String series : used) {
            assertTrue(exposed.contains(series), series + " is used in " + MONITORING + " but not exposed; exposed: " + exposed);
        }
    }
}
