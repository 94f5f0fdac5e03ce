package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/footprint/cap-check.sh, the check behind the Kubernetes manifest's connection cap, run small: it must read the
 * cap, the JVM options and the limits from gateway.yaml, start a gateway sized as the pod, bring clients through a
 * storm, traffic and churn without losing anything, and report the figures the README quotes (peak RSS against the
 * limit, the full collection with every client connected).
 */
class CapCheckIT {

    @Test
    void theCapCheckRunsAGatewayAsThePodAndReportsMemoryPausesAndIntegrity(@TempDir Path dir) throws Exception {
        Path script = ServiceProcess.ROOT.resolve("deploy/footprint/cap-check.sh");
        Path console = dir.resolve("console.txt");
        ProcessBuilder builder = new ProcessBuilder(List.of("bash", script.toString(), "300", "100", "3s"))
                .redirectErrorStream(true).redirectOutput(console.toFile());
        // The JDK running the tests (java, and jcmd for the forced collection) comes first on the script's PATH.
        builder.environment().merge("PATH", Path.of(System.getProperty("java.home"), "bin") + ":", (path, jdk) -> jdk + path);
        builder.environment().put("CHURN", "10");
        Process check = builder.start();
        assertTrue(check.waitFor(4, TimeUnit.MINUTES), "the check stops by itself");
        String output = Files.readString(console);
        assertEquals(0, check.exitValue(), () -> "cap-check.sh failed:\n" + output);

        assertTrue(output.contains("gateway: cap " + DeploymentManifestsTest.connectionCap() + ", limits 512Mi and 2 CPUs"),
                () -> "the manifest's cap and limits:\n" + output);
        assertTrue(output.contains("-Xmx256m") && output.contains("-XX:+UseSerialGC") && !output.contains("-Dquarkus.http.host"),
                () -> "the manifest's JVM options, the pod's listening address left out:\n" + output);
        assertTrue(output.contains("-XX:+ExitOnOutOfMemoryError") && !output.contains("-XX:+UseParallelGC"),
                () -> "the command line the image's entrypoint builds, with the manifest's collector:\n" + output);
        assertTrue(output.contains("connect: 300/300 joined"), () -> "every client joined:\n" + output);
        assertTrue(output.contains("integrity: 0 lost, 0 duplicated, 0 out of order"), () -> output);
        assertTrue(Pattern.compile("churn: \\{.*failed=0,").matcher(output).find(), () -> "churning clients came and went:\n" + output);

        Matcher peak = Pattern.compile("peak RSS (\\d+) MiB of 512Mi").matcher(output);
        assertTrue(peak.find(), () -> "peak RSS against the limit:\n" + output);
        int mib = Integer.parseInt(peak.group(1));
        assertTrue(mib > 50 && mib < 512, "a gateway's RSS, within the limit: " + mib + " MiB");
        assertTrue(Pattern.compile("full collections with 300 clients connected: [0-9.]+ms [0-9.]+ms").matcher(output).find(),
                () -> "the forced full collections' pauses, read from the gateway's GC log:\n" + output);
    }
}
