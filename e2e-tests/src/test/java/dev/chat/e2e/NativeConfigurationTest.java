package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a native build of each service needs, checked on this machine without GraalVM, on the output
 * of the build's native-sources step (target/native-sources: Quarkus's native build steps run,
 * native-image does not): the Lua scripts and migrations are registered as resources, every
 * {@code @RegisterForReflection} type for reflection, and no class creates live state (a Random, a
 * thread, a socket) in a static initialiser, which native-image would run at build time.
 */
class NativeConfigurationTest {

    private static final String REGISTER_FOR_REFLECTION = "Lio/quarkus/runtime/annotations/RegisterForReflection;";
    /** Types whose instances must not be created while the image is built. */
    private static final List<Class<?>> LIVE = List.of(java.util.Random.class, Thread.class, java.util.concurrent.ExecutorService.class,
            java.util.Timer.class, java.nio.channels.Channel.class, java.net.Socket.class, java.net.ServerSocket.class, Process.class);
    private static final Pattern RUN_TIME_INIT = Pattern.compile("--initialize-at-run-time=([\\w.$,]+)");

    @ParameterizedTest
    @ValueSource(strings = {"gateway-service", "history-service"})
    void theNativeSourcesRegisterTheResourcesAndSerialisedTypes(String module) throws IOException {
        Path dir = ServiceProcess.ROOT.resolve(module);
        Path sources = dir.resolve("target/native-sources");
        assertTrue(Files.isRegularFile(sources.resolve("native-image.args")),
                sources + " is missing: the build's native-sources step (root pom) did not run");
        Path runner;
        try (Stream<Path> files = Files.list(sources)) {
            runner = files.filter(p -> p.toString().endsWith("-runner.jar")).findFirst().orElseThrow();
        }
        JsonNode resources;
        JsonNode reflection;
        try (ZipFile jar = new ZipFile(runner.toFile())) {
            resources = WsClient.JSON.readTree(jar.getInputStream(jar.getEntry("META-INF/native-image/resource-config.json")));
            reflection = WsClient.JSON.readTree(jar.getInputStream(jar.getEntry("META-INF/native-image/reflect-config.json")));
        }
        List<Pattern> included = new ArrayList<>();
        resources.path("resources").path("includes").forEach(p -> included.add(Pattern.compile(p.path("pattern").asText())));
        Path resourceRoot = dir.resolve("src/main/resources");
        for (String folder : List.of("scripts", "db/migration")) {
            if (!Files.isDirectory(resourceRoot.resolve(folder))) {
                continue;
            }
            try (Stream<Path> files = Files.walk(resourceRoot.resolve(folder))) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    String resource = resourceRoot.relativize(file).toString().replace('\\', '/');
                    assertTrue(included.stream().anyMatch(p -> p.matcher(resource).matches()),
                            module + ": " + resource + " is not in the native image's resources (quarkus.native.resources.includes)");
                }
            }
        }
        Set<String> reflective = new TreeSet<>();
        reflection.forEach(entry -> reflective.add(entry.path("name").asText()));
        List<String> annotated = annotatedForReflection(dir.resolve("target/classes"));
        assertFalse(annotated.isEmpty(), module + " has @RegisterForReflection types");
        for (String type : annotated) {
            assertTrue(reflective.contains(type), module + ": " + type + " is @RegisterForReflection but not registered");
        }
        String args = Files.readString(sources.resolve("native-image.args"));
        for (String type : runTimeInitialized(module)) {
            assertTrue(args.contains(type), module + ": native-image.args lacks the run-time initialisation of " + type);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gateway-service", "history-service"})
    void noClassCreatesLiveStateInAStaticInitialiser(String module) throws Exception {
        Path dir = ServiceProcess.ROOT.resolve(module);
        Set<String> exempt = runTimeInitialized(module);
        List<String> offenders = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(classpath(dir), ClassLoader.getPlatformClassLoader())) {
            List<String> names = new ArrayList<>(classNames(dir.resolve("target/classes")));
            // chat-common's classes are the service's too (a jar in its lib/), initialised by the same native build.
            names.addAll(classNames(ServiceProcess.ROOT.resolve("chat-common/target/classes")));
            for (String name : names) {
                if (!exempt.contains(name)) {
                    offenders.addAll(liveStaticFields(Class.forName(name, false, loader)));
                }
            }
        }
        assertEquals(List.of(), offenders, module + ": static fields holding live state; make them instance fields of a bean, or list "
                + "the class in quarkus.native.additional-build-args=--initialize-at-run-time=...");
        // The check sees what it is meant to: a class like the ones it guards against.
        assertEquals(List.of(HoldsLiveState.class.getName() + ".RANDOM (java.security.SecureRandom)"), liveStaticFields(HoldsLiveState.class));
    }

    /** A class that native-image would refuse to initialise at build time: a seeded random generator in a static field. */
    static final class HoldsLiveState {
        static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    }

    private static List<String> liveStaticFields(Class<?> type) {
        List<String> found = new ArrayList<>();
        for (Field field : type.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && LIVE.stream().anyMatch(live -> live.isAssignableFrom(field.getType()))) {
                found.add(type.getName() + "." + field.getName() + " (" + field.getType().getName() + ")");
            }
        }
        return found;
    }

    /** Classes application.properties asks native-image to initialise at run time. */
    static Set<String> runTimeInitialized(String module) {
        Set<String> types = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(ServiceProcess.ROOT.resolve(module).resolve("src/main/resources/application.properties"))) {
                if (line.startsWith("quarkus.native.additional-build-args")) {
                    Matcher m = RUN_TIME_INIT.matcher(line);
                    while (m.find()) {
                        types.addAll(List.of(m.group(1).split(",")));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return types;
    }

    private static List<String> annotatedForReflection(Path classes) throws IOException {
        List<String> names = new ArrayList<>();
        for (String name : classNames(classes)) {
            byte[] bytes = Files.readAllBytes(classes.resolve(name.replace('.', '/') + ".class"));
            if (new String(bytes, StandardCharsets.ISO_8859_1).contains(REGISTER_FOR_REFLECTION)) {
                names.add(name);
            }
        }
        return names;
    }

    private static List<String> classNames(Path classes) throws IOException {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(p -> p.toString().endsWith(".class")).map(p -> classes.relativize(p).toString()
                    .replace('\\', '/').replaceFirst("\\.class$", "").replace('/', '.')).sorted().toList();
        }
    }

    /** The application's classes and its runtime libraries, as the packaged jar runs them. */
    private static URL[] classpath(Path module) throws IOException {
        List<URL> urls = new ArrayList<>();
        urls.add(url(module.resolve("target/classes")));
        Path lib = module.resolve("target/quarkus-app/lib");
        assertTrue(Files.isDirectory(lib), lib + " is missing: package the service first");
        try (Stream<Path> jars = Files.walk(lib)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                urls.add(url(jar));
            }
        }
        return urls.toArray(URL[]::new);
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
