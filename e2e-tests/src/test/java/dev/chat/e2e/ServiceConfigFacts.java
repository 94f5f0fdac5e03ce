package dev.chat.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one service really reads and serves, taken from its sources so deployment files can be checked
 * against it: the HTTP port, every configuration property (application.properties, the
 * {@code @ConfigMapping} interface, {@code @ConfigProperty} injection points), the environment
 * variables it reads directly ({@code ${VAR}} in application.properties, {@code System.getenv}).
 */
final class ServiceConfigFacts {

    /**
     * Settings the services read that appear in neither application.properties nor their code, each
     * with where it is read: Quarkus's and SmallRye JWT's own keys, and the JVM image's run script.
     */
    static final Map<String, String> WELL_KNOWN = Map.of(
            "QUARKUS_PROFILE", "Quarkus: the configuration profile",
            "QUARKUS_HTTP_HOST", "Quarkus: quarkus.http.host",
            "QUARKUS_DATASOURCE_PASSWORD", "Quarkus: quarkus.datasource.password (history)",
            "QUARKUS_REDIS_PASSWORD", "Quarkus: quarkus.redis.password (read by the dedicated Redis connections too)",
            "QUARKUS_LOG_CONSOLE_JSON_ENABLED", "quarkus-logging-json: quarkus.log.console.json.enabled",
            "MP_JWT_VERIFY_PUBLICKEY_LOCATION", "SmallRye JWT: mp.jwt.verify.publickey.location (read by SigningKeyGuard too)",
            "MP_JWT_VERIFY_PUBLICKEY", "SmallRye JWT: mp.jwt.verify.publickey",
            "JAVA_OPTS_APPEND", "the JVM image's run-java.sh (Dockerfile.jvm)",
            "GC_CONTAINER_OPTIONS", "the JVM image's run-java.sh: the collector (Dockerfile.jvm)",
            "HOSTNAME", "set by the container runtime; the default node and consumer name");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}]*))?}");
    private static final Pattern GETENV = Pattern.compile("System\\.getenv\\(\"([A-Z][A-Z0-9_]*)\"\\)");
    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\(\\s*name\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern MAPPING = Pattern.compile("@ConfigMapping\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"\\s*\\)\\s*public\\s+interface\\s+(\\w+)");
    private static final Pattern INTERFACE = Pattern.compile("interface\\s+(\\w+)\\s*\\{");
    private static final Pattern METHOD = Pattern.compile("([\\w.<>, ?]+?)\\s+(\\w+)\\(\\)\\s*;");

    final String module;
    final Path dir;
    /** Keys of application.properties, without their %profile. prefix, with their (last) value. */
    final Map<String, String> properties = new LinkedHashMap<>();
    /** Every property name the service reads: application.properties, the mapping's leaves, @ConfigProperty. */
    final Set<String> propertyNames = new TreeSet<>();
    /** Environment variables read directly, with their default where application.properties gives one. */
    final Map<String, String> envReads = new HashMap<>();

    private ServiceConfigFacts(String module) {
        this.module = module;
        this.dir = ServiceProcess.ROOT.resolve(module);
        try {
            for (String line : Files.readAllLines(dir.resolve("src/main/resources/application.properties"))) {
                line = line.strip();
                int eq = line.indexOf('=');
                if (line.isEmpty() || line.startsWith("#") || eq < 0) {
                    continue;
                }
                String key = line.substring(0, eq).strip();
                String value = line.substring(eq + 1).strip();
                boolean profiled = key.startsWith("%");
                if (profiled) {
                    key = key.substring(key.indexOf('.') + 1);
                }
                if (!profiled || !properties.containsKey(key)) {
                    properties.put(key, value);
                }
                propertyNames.add(key);
                Matcher placeholder = PLACEHOLDER.matcher(value);
                while (placeholder.find()) {
                    envReads.put(placeholder.group(1), placeholder.group(2));
                }
            }
            // chat-common's classes run in both services (DevSecretConfigSource reads CHAT_JWT_SECRET there).
            for (Path root : List.of(dir.resolve("src/main/java"), ServiceProcess.ROOT.resolve("chat-common/src/main/java"))) {
                try (Stream<Path> sources = Files.walk(root)) {
                    for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                        String java = Files.readString(source);
                        Matcher getenv = GETENV.matcher(java);
                        while (getenv.find()) {
                            envReads.putIfAbsent(getenv.group(1), null);
                        }
                        Matcher injected = CONFIG_PROPERTY.matcher(java);
                        while (injected.find()) {
                            propertyNames.add(injected.group(1));
                        }
                        Matcher mapping = MAPPING.matcher(java);
                        if (mapping.find()) {
                            addMappingLeaves(java, mapping.group(2), mapping.group(1));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ServiceConfigFacts of(String module) {
        return new ServiceConfigFacts(module);
    }

    /** The port application.properties gives (quarkus.http.port), which the probes and Services must use. */
    int httpPort() {
        return Integer.parseInt(properties.get("quarkus.http.port"));
    }

    /** The management interface's port (quarkus.management.port): health, metrics, OpenAPI; never public. */
    int managementPort() {
        assert "true".equals(properties.get("quarkus.management.enabled")) : module + ": management interface off";
        return Integer.parseInt(properties.get("quarkus.management.port"));
    }

    /** Whether setting this environment variable changes anything in the service (SmallRye's env name mapping). */
    boolean reads(String env) {
        return envReads.containsKey(env) || WELL_KNOWN.containsKey(env)
                || propertyNames.stream().anyMatch(property -> envName(property).equals(env));
    }

    /** The value the service uses for a property with no environment override, resolving ${VAR:default}. */
    String defaultOf(String property) {
        String value = properties.get(property);
        if (value == null) {
            return null;
        }
        Matcher placeholder = PLACEHOLDER.matcher(value);
        return placeholder.matches() ? placeholder.group(2) : value;
    }

    static String envName(String property) {
        return property.toUpperCase().replaceAll("[^A-Z0-9]", "_");
    }

    /** Walks the mapping interface: a method returning a nested interface is a group, any other a property. */
    private void addMappingLeaves(String java, String root, String prefix) {
        Map<String, String> bodies = interfaceBodies(java);
        Deque<String[]> todo = new ArrayDeque<>();
        todo.add(new String[] {root, prefix});
        while (!todo.isEmpty()) {
            String[] next = todo.poll();
            String body = bodies.get(next[0]);
            Matcher method = METHOD.matcher(body);
            while (method.find()) {
                String type = method.group(1).strip().replaceAll("^.*\\s", "").replaceAll("^(java\\.util\\.)?Optional<(.*)>$", "$2");
                String name = next[1] + "." + kebab(method.group(2));
                if (bodies.containsKey(type)) {
                    todo.add(new String[] {type, name});
                } else {
                    propertyNames.add(name);
                }
            }
        }
    }

    /** Each interface's body with the bodies of interfaces nested in it cut out. */
    private static Map<String, String> interfaceBodies(String java) {
        Map<String, String> bodies = new HashMap<>();
        Matcher declaration = INTERFACE.matcher(java);
        while (declaration.find()) {
            int open = declaration.end() - 1;
            StringBuilder own = new StringBuilder();
            int depth = 0;
            for (int i = open; i < java.length(); i++) {
                char c = java.charAt(i);
                if (c == '{') {
                    depth++;
                } else if (c == '}') {
                    depth--;
                    if (depth == 0) {
                        break;
                    }
                } else if (depth == 1) {
                    own.append(c);
                }
            }
            // Comments may hold "x();" examples: drop them.
            bodies.put(declaration.group(1), own.toString().replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", ""));
        }
        return bodies;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }
}
