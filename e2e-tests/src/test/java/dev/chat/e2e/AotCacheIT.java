package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JVM's AOT cache that a build on JDK 25 or newer leaves beside each service's jar (root pom, profile aot-cache):
 * the services start from it with the JVM options deploy/ gives them, and the local launcher and the benchmark never
 * pass it to a JVM that lacks the option (a cache left by an earlier build must not stop a JDK 17 from starting them).
 */
class AotCacheIT {

    @Test
    void builtOnJdk25BothServicesStartFromTheCacheTheirBuildRecordedAndServeChat() {
        assumeTrue(Runtime.version().feature() >= 25, "built and tested on JDK " + Runtime.version().feature() + ": no AOT cache is recorded");
        for (String module : List.of("gateway-service", "history-service")) {
            Path cache = ServiceProcess.packagedJar(module).resolveSibling("app.aot");
            assertTrue(Files.isRegularFile(cache), module + ": the build on JDK 25 left no " + cache);
        }
        try (OwnRedisServer redis = OwnRedisServer.start("aot");
                OwnPostgres postgres = OwnPostgres.start();
                ServiceProcess history = ServiceProcess.history("aot-history", redis.url(), postgres.database()).withAotCache();
                ServiceProcess gateway = ServiceProcess.gateway("aot-gateway", redis.url()).withAotCache()) {
            // -XX:AOTMode=on: a JVM that cannot use its cache does not start.
            ServiceProcess.startAll(history, gateway);
            try (WsClient member = WsClient.connect("aot-member", gateway.url())) {
                member.join("aot-room");
                ObjectNode ack = WsClient.joinedAndAnswered("aot-sender", gateway.url(), "aot-room", "from the cache", "c1");
                assertEquals("ack", ack.path("type").asText(), () -> "the send was answered with " + ack);
                ObjectNode message = member.messages("aot-room", 1).get(0);
                assertEquals("from the cache", message.path("text").asText());
                assertEquals(ack.path("seq").asLong(), message.path("seq").asLong());
            }
        }
    }

    @Test
    void theLauncherPassesTheCacheOnlyToAJavaThatHasTheOption() throws Exception {
        Path app = Files.createTempDirectory("aot-launcher");
        try {
            Path cache = Files.createFile(app.resolve("app.aot"));
            String passed = ServiceProcess.launcherAotCacheOptions(app.resolve("quarkus-run.jar"));
            if (pathJavaFeature() >= 24) {
                assertEquals("-XX:AOTCache=" + cache, passed);
            } else {
                assertEquals("", passed, "a JDK before 24 refuses -XX:AOTCache and would not start");
            }
            Files.delete(cache);
            assertEquals("", ServiceProcess.launcherAotCacheOptions(app.resolve("quarkus-run.jar")), "no cache, no option");
        } finally {
            Files.deleteIfExists(app.resolve("app.aot"));
            Files.delete(app);
        }
    }

    /** The feature version of the `java` on PATH, the one the launcher runs. */
    private static int pathJavaFeature() {
        Matcher version = Pattern.compile("version \"(\\d+)").matcher(ServiceProcess.run("java", "-version"));
        assertTrue(version.find(), "java -version names a version");
        return Integer.parseInt(version.group(1));
    }
}
