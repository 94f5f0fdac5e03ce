package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load tool users point at their own deployment (load-test/, the jar the benchmark runs), against a real system of
 * two gateways: held clients send while others connect, join the same rooms and leave (hold and churn). Its report
 * accounts for every delivery of the held clients and counts the churning clients apart.
 */
@ExtendWith(SharedSystem.Provider.class)
class LoadToolIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    static SharedSystem system;

    @BeforeAll
    static void useTheSharedSystem(SharedSystem shared) {
        system = shared;
    }

    @Test
    void heldClientsGetEverythingWhileOthersChurnThroughTheirRoomsAndTheReportCountsBothApart(@TempDir Path dir) throws Exception {
        Path jar = ServiceProcess.ROOT.resolve("load-test/target/load-test.jar");
        assertTrue(Files.exists(jar), jar + " is missing: package the load tool first (./mvnw package)");
        ServiceProcess a = system.gatewayA;
        ServiceProcess b = system.gatewayB;
        Path out = dir.resolve("churn");
        Path console = dir.resolve("console.txt");
        Process tool = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar.toString(),
                "--target", "ws://127.0.0.1:" + a.port + ",ws://127.0.0.1:" + b.port, "--jwt-secret", Tokens.SECRET,
                "--clients", "200", "--rooms", "20", "--publishers", "20", "--rate", "100", "--warmup", "2s", "--duration", "8s",
                "--churn-rate", "20", "--churn-hold", "1s", "--pid", "server-a=" + a.pid(), "--pid", "server-b=" + b.pid(),
                "--out", out.toString()))
                .redirectErrorStream(true).redirectOutput(console.toFile()).start();
        assertTrue(tool.waitFor(3, TimeUnit.MINUTES), "the load tool stops by itself");
        assertEquals(0, tool.exitValue(), () -> "the load tool failed:\n" + read(console));

        JsonNode report = JSON.readTree(out.resolveSibling("churn.json").toFile());
        JsonNode integrity = report.path("integrity");
        assertTrue(integrity.path("clean").asBoolean(), () -> "held clients: " + integrity + "\n" + read(console));
        assertEquals(0, integrity.path("lost").asLong());
        assertEquals(200, report.path("connect").path("joined").asInt(), "every held client joined");
        assertTrue(report.path("latency").path("count").asLong() > 0, "held clients' deliveries are measured");
        assertEquals(0, report.path("refusals").size(), () -> "held clients were refused: " + report.path("refusals"));

        // 20 a second over the warm-up and the window (10 s): about 200 churning clients, each joined once and gone.
        JsonNode churn = report.path("churn");
        long started = churn.path("started").asLong();
        assertTrue(started >= 150 && started <= 250, "churning clients started at the rate: " + churn);
        assertEquals(0, churn.path("failed").asLong(), () -> "churning clients failed: " + churn);
        assertTrue(churn.path("joined").asLong() >= started - 25, "nearly all joined (the last ones may be cut by the end): " + churn);
        // Timed are the joins of the 8 s window only (the warm-up's meet a cold JIT): about 160.
        long timed = churn.path("connectJoin").path("count").asLong();
        assertTrue(timed >= 120 && timed <= churn.path("joined").asLong(), "the window's joins are timed: " + churn);
        assertTrue(churn.path("startedInWindow").asLong() < started, "the warm-up's clients are counted apart: " + churn);
        assertTrue(report.path("cpu").path("processes").path("server-a").path("cpuSeconds").asDouble() > 0,
                "the gateways' CPU is read: " + report.path("cpu"));
        assertTrue(Files.exists(out.resolveSibling("churn.html")), "an HTML report is written too");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
