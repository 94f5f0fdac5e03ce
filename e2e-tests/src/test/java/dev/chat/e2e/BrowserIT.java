package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The web page in a real browser: Debian's Chromium, driven by playwright-core from the Node scripts in
 * e2e-tests/browser/, against two gateways and the history service behind nginx (as deploy/local/run.sh
 * runs them), on a Redis and a PostgreSQL of the test's own. The scenario script asks for a gateway to
 * be killed by printing {@code @@ KILL <node>}; this test kills it (SIGKILL) and answers {@code KILLED <node>}.
 * Screenshots go to e2e-tests/target/screenshots/.
 */
class BrowserIT {

    static final Path BROWSER = ServiceProcess.ROOT.resolve("e2e-tests/browser");
    static final Path SCREENSHOTS = ServiceProcess.ROOT.resolve("e2e-tests/target/screenshots");
    static final Path LOGS = ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs");
    static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");

    static OwnRedisServer redis;
    static OwnPostgres postgres;
    static ServiceProcess history;
    static ServiceProcess gatewayA;
    static ServiceProcess gatewayB;
    static NginxProcess nginx;

    @BeforeAll
    static void startServices() {
        assertTrue(Files.isExecutable(Path.of(CHROMIUM)), CHROMIUM + " is missing: apt-get install chromium (bash .ci/run does)");
        if (!Files.isDirectory(BROWSER.resolve("node_modules/playwright-core"))) {
            // .ci/run installs it; a developer's first ./mvnw verify does it here.
            assertEquals(0, run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300), "npm ci in " + BROWSER);
        }
        redis = OwnRedisServer.start("browser-redis");
        postgres = OwnPostgres.start();
        history = ServiceProcess.history("browser-history", redis.url(), postgres.database());
        gatewayA = ServiceProcess.gateway("gateway-a", redis.url());
        gatewayB = ServiceProcess.gateway("gateway-b", redis.url());
        ServiceProcess.startAll(history, gatewayA, gatewayB);
        history.awaitRoomsCanStart();
        nginx = NginxProcess.start(gatewayA, gatewayB, history);
    }

    @AfterAll
    static void stopServices() {
        for (AutoCloseable service : new AutoCloseable[] {nginx, gatewayA, gatewayB, history, postgres, redis}) {
            try {
                if (service != null) {
                    service.close();
                }
            } catch (Exception e) {
                // Keep stopping the others.
            }
        }
    }

    @Test
    void chatClientUnitTests() {
        assertEquals(0, run(List.of("node", "--test", "client.test.mjs"), Map.of(), 120), "node --test client.test.mjs");
    }

    @Test
    void twoUsersAGatewayCrashAndCatchingUpInChromium() {
        int status = run(List.of("node", "scenarios.mjs"), Map.of(
                "CHAT_URL", nginx.url(),
                "CHROMIUM", CHROMIUM,
                "SCREENSHOTS", SCREENSHOTS.toString()), 300);
        assertEquals(0, status, "browser scenarios failed; output above, screenshots in " + SCREENSHOTS + ", logs in " + LOGS);
    }

    /** Runs a command in e2e-tests/browser, echoing its output, and carries out its {@code @@ KILL} requests. */
    private static int run(List<String> command, Map<String, String> env, int timeoutSeconds) {
        try {
            Files.createDirectories(LOGS);
            ProcessBuilder builder = new ProcessBuilder(command).directory(BROWSER.toFile()).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process process = builder.start();
            List<String> output = new ArrayList<>();
            Thread reader = new Thread(() -> follow(process, output), "browser-output");
            reader.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                reader.join(5000);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
            reader.join(5000);
            Files.write(LOGS.resolve("browser.log"), output, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command + " (is Node.js installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void follow(Process process, List<String> output) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer answers = process.outputWriter(StandardCharsets.UTF_8)) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                System.out.println("[browser] " + line);
                synchronized (output) {
                    output.add(line);
                }
                if (line.startsWith("@@ KILL ")) {
                    String node = line.substring("@@ KILL ".length()).trim();
                    ServiceProcess target = node.equals(gatewayA.name) ? gatewayA : node.equals(gatewayB.name) ? gatewayB : null;
                    if (target != null) {
                        target.kill();
                    }
                    answers.write((target != null ? "KILLED " : "UNKNOWN ") + node + "\n");
                    answers.flush();
                }
            }
        } catch (IOException e) {
            // The process ended.
        }
    }
}
