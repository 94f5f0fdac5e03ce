package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files cannot drift from the code: every manifest in deploy/kubernetes/ and the
 * services of deploy/docker-compose.yml are parsed and checked against what the services really serve
 * and read (their application.properties, {@code @ConfigMapping} interfaces and sources, see
 * {@link ServiceConfigFacts}): ports, probe paths, environment variables, shutdown timing, memory, and
 * the references between the files. Plain JUnit: it needs no running service.
 */
class DeploymentManifestsTest {

    static final Path DEPLOY = ServiceProcess.ROOT.resolve("deploy");
    static final Path KUBERNETES = DEPLOY.resolve("kubernetes");
    static final Map<String, ServiceConfigFacts> SERVICES = Map.of(
            "gateway-service", ServiceConfigFacts.of("gateway-service"),
            "history-service", ServiceConfigFacts.of("history-service"));
    static final Map<String, String> PROBES = Map.of(
            "startupProbe", "/q/health/started", "readinessProbe", "/q/health/ready", "livenessProbe", "/q/health/live");
    /** The Secrets the README tells the user to create; the only ones the manifests may reference. */
    static final Set<String> USER_SECRETS = Set.of("chat-jwt", "chat-db", "chat-redis");
    /** Secrets a pod starts without (the service then runs without that setting). */
    static final Set<String> OPTIONAL_SECRETS = Set.of("chat-redis");
    /** Variables by which the images' entrypoint (run-java.sh) changes java's options, beyond what entrypoint_jvm_options models. */
    static final List<String> ENTRYPOINT_VARIABLES_NOT_MODELLED = List.of("JAVA_MAX_MEM_RATIO", "JAVA_INITIAL_MEM_RATIO", "JAVA_MAX_INITIAL_MEM",
            "GC_METASPACE_SIZE", "GC_MAX_METASPACE_SIZE", "JAVA_DIAGNOSTICS", "JAVA_DEBUG", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "no_proxy");
    /** The collectors a JVM can run with, as -XX:+PrintFlagsFinal names them. */
    static final List<String> COLLECTORS = List.of("UseSerialGC", "UseParallelGC", "UseG1GC", "UseZGC", "UseShenandoahGC");
    /** The images' registry: a reserved domain (RFC 2606), so a name resolves to nobody's account. */
    static final String PLACEHOLDER_REGISTRY = "registry.example.invalid";
    /** Margin between the end of a graceful shutdown and SIGKILL. */
    static final int GRACE_MARGIN_SECONDS = 5;

    // --- Kubernetes ------------------------------------------------------------------------------

    @Test
    void everyServiceContainerUsesTheRealPortAndHealthPaths() {
        List<Map<String, Object>> containers = serviceContainers();
        assertEquals(SERVICES.keySet(), new HashSet<>(containers.stream().map(DeploymentManifestsTest::module).toList()),
                "a Deployment for each service");
        for (Map<String, Object> container : containers) {
            ServiceConfigFacts service = SERVICES.get(module(container));
            List<Map<String, Object>> ports = list(container, "ports");
            assertEquals(2, ports.size(), service.module + ": the public port and the management port");
            Map<String, Object> port = ports.get(0);
            assertEquals(service.httpPort(), port.get("containerPort"), service.module + ": containerPort");
            assertEquals("http", port.get("name"), service.module + ": the Service refers to the port by name");
            Map<String, Object> management = ports.get(1);
            assertEquals(service.managementPort(), management.get("containerPort"), service.module + ": management containerPort");
            assertEquals("management", management.get("name"), service.module + ": the probes refer to the management port by name");
            String envPort = environment(container).get("QUARKUS_HTTP_PORT");
            if (envPort != null) {
                assertEquals(Integer.toString(service.httpPort()), envPort, service.module + ": QUARKUS_HTTP_PORT");
            }
            assertFalse(environment(container).containsKey("QUARKUS_MANAGEMENT_ENABLED"), "the management interface stays on");
            PROBES.forEach((probe, path) -> {
                Map<String, Object> httpGet = map(map(container, probe), "httpGet");
                assertEquals(path, httpGet.get("path"), service.module + " " + probe);
                Object probePort = httpGet.get("port");
                assertTrue("management".equals(probePort) || Integer.valueOf(service.managementPort()).equals(probePort),
                        service.module + " " + probe + " asks the management port, not " + probePort);
            });
        }
        for (Map<String, Object> deployment : kind("Deployment")) {
            Map<String, Object> annotations = map(map(map(map(deployment, "spec"), "template"), "metadata"), "annotations");
            Map<String, Object> container = podSpec(deployment).containsKey("containers") ? only(list(podSpec(deployment), "containers"), deployment) : null;
            if (container != null && annotations.containsKey("prometheus.io/scrape")) {
                assertEquals("/q/metrics", annotations.get("prometheus.io/path"));
                assertEquals(Integer.toString(SERVICES.get(module(container)).managementPort()), annotations.get("prometheus.io/port"));
            }
        }
    }

    @Test
    void noServiceOrIngressExposesTheManagementPort() {
        for (Map<String, Object> service : kind("Service")) {
            for (Map<String, Object> port : list(map(service, "spec"), "ports")) {
                Object target = port.get("targetPort");
                assertFalse("management".equals(target) || SERVICES.values().stream().anyMatch(s -> Integer.valueOf(s.managementPort()).equals(target))
                        || SERVICES.values().stream().anyMatch(s -> Integer.valueOf(s.managementPort()).equals(port.get("port"))),
                        "Service " + name(service) + " exposes the management port: " + port);
            }
        }
        for (Map<String, Object> ingress : kind("Ingress")) {
            for (Map<String, Object> rule : list(map(ingress, "spec"), "rules")) {
                for (Map<String, Object> path : list(map(rule, "http"), "paths")) {
                    Map<String, Object> port = map(map(map(path, "backend"), "service"), "port");
                    assertEquals("http", port.get("name"), "Ingress " + name(ingress) + " routes to a public port only: " + port);
                }
            }
        }
    }

    @Test
    void theIngressLogsNoTokenAndRetriesARefusingGateway() {
        for (Map<String, Object> ingress : kind("Ingress")) {
            Map<String, String> annotations = strings(map(map(ingress, "metadata"), "annotations"));
            assertEquals("false", annotations.get("nginx.ingress.kubernetes.io/enable-access-log"),
                    "Ingress " + name(ingress) + ": its access log would hold access_token query strings");
            assertTrue(annotations.getOrDefault("nginx.ingress.kubernetes.io/proxy-next-upstream", "").contains("http_503"),
                    "Ingress " + name(ingress) + ": a draining or full gateway's 503 goes to the next gateway");
        }
    }

    @Test
    void imagesArePlaceholdersThatResolveToNoRegistry() {
        Map<String, Object> kustomization = load(KUBERNETES.resolve("kustomization.yaml")).get(0);
        Set<String> overridden = new HashSet<>();
        for (Map<String, Object> image : list(kustomization, "images")) {
            overridden.add((String) image.get("name"));
        }
        for (Map<String, Object> container : serviceContainers()) {
            String image = (String) container.get("image");
            assertTrue(image.startsWith(PLACEHOLDER_REGISTRY + "/"), image + ": a name under " + PLACEHOLDER_REGISTRY
                    + " (a reserved domain) cannot pull someone else's image");
            assertTrue(overridden.contains(image.replaceFirst(":[^/]*$", "")), image + " has an images: entry in kustomization.yaml");
        }
    }

    @Test
    void theTestClusterRedisNeverEvicts() {
        Map<String, Object> redis = byName("StatefulSet").get("redis");
        List<String> args = strings(objects(only(list(podSpec(redis), "containers"), redis), "args"));
        assertEquals("noeviction", args.get(args.indexOf("--maxmemory-policy") + 1), "test-cluster Redis: " + args);
        assertTrue(args.contains("--maxmemory"), "test-cluster Redis: a maxmemory below the container limit: " + args);
    }

    @Test
    void everyEnvironmentVariableIsOneTheServiceReads() {
        for (Map<String, Object> container : serviceContainers()) {
            ServiceConfigFacts service = SERVICES.get(module(container));
            Map<String, String> env = environment(container);
            assertFalse(env.isEmpty());
            for (String name : env.keySet()) {
                assertTrue(service.reads(name), service.module + " reads no " + name
                        + ": not a property in application.properties, its @ConfigMapping or @ConfigProperty, not ${" + name
                        + "} nor System.getenv, not in ServiceConfigFacts.WELL_KNOWN");
            }
            assertEquals("prod", env.get("QUARKUS_PROFILE"), service.module + " runs the prod profile");
        }
    }

    @Test
    void secretsAreReferencedNeverCommitted() {
        for (Map<String, Object> doc : manifests()) {
            assertFalse("Secret".equals(doc.get("kind")), "a Secret in deploy/kubernetes: " + name(doc));
        }
        for (Map<String, Object> container : serviceContainers()) {
            Map<String, Object> pod = podOf(container);
            Set<String> secrets = new HashSet<>();
            for (Map<String, Object> volume : list(pod, "volumes")) {
                if (volume.containsKey("secret")) {
                    secrets.add((String) map(volume, "secret").get("secretName"));
                }
            }
            for (Map<String, Object> env : list(container, "env")) {
                Map<String, Object> from = map(env, "valueFrom");
                if (from.containsKey("secretKeyRef")) {
                    Map<String, Object> ref = map(from, "secretKeyRef");
                    secrets.add((String) ref.get("name"));
                    assertEquals(OPTIONAL_SECRETS.contains(ref.get("name")), Boolean.TRUE.equals(ref.get("optional")),
                            module(container) + ": " + ref + " is optional exactly when the README calls it optional");
                }
            }
            assertTrue(secrets.contains("chat-redis") && "secret:chat-redis".equals(environment(container).get("QUARKUS_REDIS_PASSWORD")),
                    module(container) + ": Redis's password from the optional Secret chat-redis");
            assertTrue(USER_SECRETS.containsAll(secrets), module(container) + " refers to secrets " + secrets);
            // The public key: a file on the mount of the Secret chat-jwt.
            String location = environment(container).get("MP_JWT_VERIFY_PUBLICKEY_LOCATION");
            assertNotNull(location, module(container) + ": production needs MP_JWT_VERIFY_PUBLICKEY_LOCATION");
            String file = location.replaceFirst("^file:", "");
            String jwtVolume = list(pod, "volumes").stream().filter(v -> v.containsKey("secret")
                    && "chat-jwt".equals(map(v, "secret").get("secretName"))).map(v -> (String) v.get("name")).findFirst().orElseThrow();
            Map<String, Object> mount = list(container, "volumeMounts").stream().filter(m -> jwtVolume.equals(m.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError(module(container) + " does not mount the chat-jwt Secret"));
            assertTrue(file.startsWith(mount.get("mountPath") + "/"), location + " is not on the chat-jwt mount " + mount);
        }
    }

    @Test
    void theGracePeriodCoversPreStopAndTheServicesOwnShutdown() {
        for (Map<String, Object> container : serviceContainers()) {
            ServiceConfigFacts service = SERVICES.get(module(container));
            Map<String, String> env = environment(container);
            Map<String, Object> pod = podOf(container);
            long preStop = ((Number) map(map(map(container, "lifecycle"), "preStop"), "sleep").get("seconds")).longValue();
            long shutdown;
            if (service.module.equals("gateway-service")) {
                // Readiness DOWN for the drain notice, then the drain (reconnect + 1012 to every client), then REST
                // requests in flight are answered within the shutdown timeout.
                long notice = seconds(env.getOrDefault("CHAT_SHUTDOWN_DELAY", service.envReads.get("CHAT_SHUTDOWN_DELAY")));
                long drain = seconds(env.getOrDefault("CHAT_DRAIN_TIMEOUT", service.defaultOf("chat.drain-timeout")));
                shutdown = notice + drain + seconds(service.defaultOf("quarkus.shutdown.timeout"));
            } else {
                shutdown = seconds(service.defaultOf("quarkus.shutdown.timeout"));
            }
            long grace = ((Number) pod.get("terminationGracePeriodSeconds")).longValue();
            assertTrue(grace >= preStop + shutdown + GRACE_MARGIN_SECONDS,
                    service.module + ": terminationGracePeriodSeconds " + grace + " < preStop " + preStop + " + shutdown " + shutdown
                            + " + margin " + GRACE_MARGIN_SECONDS);
        }
    }

    @Test
    void theHeapLeavesRoomInTheMemoryLimit() {
        for (Map<String, Object> container : serviceContainers()) {
            Map<String, Object> resources = map(container, "resources");
            long limit = bytes((String) map(resources, "limits").get("memory"));
            long request = bytes((String) map(resources, "requests").get("memory"));
            assertTrue(request > 0 && request <= limit, module(container) + ": memory request within the limit");
            assertNotNull(map(resources, "requests").get("cpu"), module(container) + ": a CPU request (the autoscaler measures against it)");
            Matcher xmx = Pattern.compile("-Xmx(\\d+[kKmMgG])").matcher(environment(container).getOrDefault("JAVA_OPTS_APPEND", ""));
            assertTrue(xmx.find(), module(container) + ": an explicit -Xmx in JAVA_OPTS_APPEND");
            long heap = bytes(xmx.group(1));
            // Measured (README, "Operations"): metaspace, code cache, threads and Netty's buffers take
            // 100-150 MiB beside the heap.
            assertTrue(heap <= limit * 0.6, module(container) + ": -Xmx" + xmx.group(1) + " leaves too little of the " + limit + " limit");
        }
    }

    @Test
    void servicesAutoscalerBudgetsAndIngressPointAtTheDeployments() {
        Map<String, Map<String, Object>> deployments = byName("Deployment");
        Map<String, Map<String, Object>> services = byName("Service");
        for (Map<String, Object> service : kind("Service")) {
            Map<String, Object> spec = map(service, "spec");
            Map<String, Object> pod = workloadWithLabels(map(spec, "selector"));
            assertNotNull(pod, "Service " + name(service) + " selects no workload");
            for (Map<String, Object> port : list(spec, "ports")) {
                Object target = port.get("targetPort");
                boolean found = list(pod, "containers").stream().flatMap(c -> list(c, "ports").stream())
                        .anyMatch(p -> target.equals(p.get("name")) || target.equals(p.get("containerPort")));
                assertTrue(found, "Service " + name(service) + " targetPort " + target);
            }
        }
        for (Map<String, Object> hpa : kind("HorizontalPodAutoscaler")) {
            Map<String, Object> target = map(map(hpa, "spec"), "scaleTargetRef");
            assertEquals("Deployment", target.get("kind"));
            assertTrue(deployments.containsKey(target.get("name")), "HPA " + name(hpa) + " scales " + target.get("name"));
            assertTrue((Integer) map(hpa, "spec").get("minReplicas") >= 2, "at least two gateways, so one can drain into the other");
        }
        for (Map<String, Object> pdb : kind("PodDisruptionBudget")) {
            assertNotNull(workloadWithLabels(map(map(map(pdb, "spec"), "selector"), "matchLabels")), "PDB " + name(pdb) + " selects nothing");
        }
        for (Map<String, Object> ingress : kind("Ingress")) {
            for (Map<String, Object> rule : list(map(ingress, "spec"), "rules")) {
                for (Map<String, Object> path : list(map(rule, "http"), "paths")) {
                    Map<String, Object> backend = map(map(path, "backend"), "service");
                    Map<String, Object> service = services.get(backend.get("name"));
                    assertNotNull(service, "Ingress backend " + backend.get("name"));
                    Map<String, Object> port = map(backend, "port");
                    assertTrue(list(map(service, "spec"), "ports").stream().anyMatch(
                            p -> p.get("name").equals(port.get("name")) || p.get("port").equals(port.get("number"))), "Ingress port " + port);
                }
            }
        }
        assertEquals(Set.of("gateway"), new HashSet<>(kind("HorizontalPodAutoscaler").stream().map(DeploymentManifestsTest::name).toList()));
        assertEquals(Set.of("gateway", "history"), new HashSet<>(kind("PodDisruptionBudget").stream().map(DeploymentManifestsTest::name).toList()));
    }

    // --- Autoscaling and the connection cap -----------------------------------------------------

    @Test
    void theAutoscalerAloneSetsTheNumberOfGateways() {
        Map<String, Object> gateway = byName("Deployment").get("gateway");
        assertFalse(map(gateway, "spec").containsKey("replicas"),
                "the gateway Deployment fixes no replicas: kubectl apply would reset what the autoscaler chose");
        Map<String, Object> target = map(map(gatewayAutoscaler(), "spec"), "scaleTargetRef");
        assertEquals(List.of("Deployment", "gateway"), List.of(target.get("kind"), target.get("name")));
    }

    @Test
    void theAutoscalerScalesOnConnectionsPerPodAndOnCpuAndScalesDownGently() {
        Map<String, Object> spec = map(gatewayAutoscaler(), "spec");
        Map<String, Map<String, Object>> metrics = new LinkedHashMap<>();
        for (Map<String, Object> metric : list(spec, "metrics")) {
            metrics.put((String) metric.get("type"), metric);
        }
        assertEquals(Set.of("Pods", "Resource"), metrics.keySet(), "connections per pod and CPU");
        Map<String, Object> pods = map(metrics.get("Pods"), "pods");
        assertEquals("chat_gateway_connections", map(pods, "metric").get("name"));
        assertEquals("AverageValue", map(pods, "target").get("type"), "connections averaged over the gateways");
        long perPod = Long.parseLong(String.valueOf(map(pods, "target").get("averageValue")));
        long cap = connectionCap();
        assertTrue(perPod > 0 && perPod <= cap * 0.8, "scale out at " + perPod + " connections per pod, well before the cap " + cap
                + " makes a gateway refuse upgrades");
        Map<String, Object> cpu = map(metrics.get("Resource"), "resource");
        assertEquals("cpu", cpu.get("name"));
        assertEquals("Utilization", map(cpu, "target").get("type"));

        // Each removed gateway sends its clients to the others: slowly, so the drains do not cascade.
        Map<String, Object> scaleDown = map(map(spec, "behavior"), "scaleDown");
        assertTrue(((Number) scaleDown.get("stabilizationWindowSeconds")).intValue() >= 300, "minutes of low load before scaling down");
        assertFalse(list(scaleDown, "policies").isEmpty(), "a scale-down rate");
        for (Map<String, Object> policy : list(scaleDown, "policies")) {
            double perMinute = ((Number) policy.get("value")).doubleValue() * 60 / ((Number) policy.get("periodSeconds")).doubleValue();
            if ("Pods".equals(policy.get("type"))) {
                assertTrue(perMinute <= 3, "at most a few gateways per minute: " + policy);
            } else {
                assertEquals("Percent", policy.get("type"));
                assertTrue(perMinute <= 20, "at most a fifth of the gateways per minute: " + policy);
            }
        }
        assertTrue(!"Disabled".equals(scaleDown.get("selectPolicy")), "scaling down is not switched off");
    }

    @Test
    void theMetricsAdapterServesAMetricTheGatewayExportsPerPod() {
        String metric = (String) map(map(firstOfType(list(map(gatewayAutoscaler(), "spec"), "metrics"), "Pods"), "pods"), "metric").get("name");
        Map<String, Object> adapter = byName("ConfigMap").get("prometheus-adapter");
        assertNotNull(adapter, "the Prometheus adapter's rules (deploy/kubernetes/prometheus-adapter)");
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions()))
                .load((String) map(adapter, "data").get("config.yaml"));
        Map<String, Object> rule = list(config, "rules").stream()
                .filter(r -> metric.equals(map(r, "name").getOrDefault("as", seriesName(r)))).findFirst()
                .orElseThrow(() -> new AssertionError("no adapter rule serves " + metric));
        String series = seriesName(rule);
        assertTrue(gatewayGauges().contains(series), "the adapter reads " + series + ", which is not a gauge the gateway exports; it exports "
                + gatewayGauges());
        Map<String, Object> overrides = map(map(rule, "resources"), "overrides");
        assertEquals("pod", map(overrides, "pod").get("resource"), "values tied to pods (an HPA Pods metric)");
        assertEquals("namespace", map(overrides, "namespace").get("resource"));
        assertTrue(((String) rule.get("metricsQuery")).contains("<<.Series>>{<<.LabelMatchers>>}"), "the query selects the asked pods");
    }

    @Test
    void theConnectionCapFitsTheMemoryLimitByTheDocumentedFormula() {
        Map<String, Object> gateway = byName("Deployment").get("gateway");
        Map<String, Object> annotations = map(map(gateway, "metadata"), "annotations");
        Map<String, Object> container = serviceContainers().stream().filter(c -> module(c).equals("gateway-service")).findFirst().orElseThrow();
        long limit = bytes((String) map(map(container, "resources"), "limits").get("memory"));
        Matcher xmx = Pattern.compile("-Xmx(\\d+[kKmMgG])").matcher(environment(container).get("JAVA_OPTS_APPEND"));
        assertTrue(xmx.find());
        long heap = bytes(xmx.group(1));
        long baseRss = bytes((String) annotations.get("chat.dev/base-rss"));
        long perConnection = bytes((String) annotations.get("chat.dev/rss-per-connection"));
        long headroom = bytes((String) annotations.get("chat.dev/headroom"));
        long heapBase = bytes((String) annotations.get("chat.dev/heap-base"));
        long heapPerConnection = bytes((String) annotations.get("chat.dev/heap-per-connection"));
        long cap = connectionCap();
        long largest = (limit - baseRss - headroom) / perConnection;
        assertTrue(baseRss + perConnection * cap + headroom <= limit, "base RSS + " + cap + " connections + headroom exceed the memory limit: "
                + "CHAT_LIMITS_MAX_CONNECTIONS must be at most " + largest);
        assertTrue(cap >= largest * 0.9, "CHAT_LIMITS_MAX_CONNECTIONS " + cap + " wastes the pod's memory: the formula allows " + largest);
        assertTrue(heapBase + heapPerConnection * cap <= heap * 0.6, cap + " connections fill more than 60 % of the heap (-Xmx"
                + xmx.group(1) + "): the rest is for traffic, and a full heap thrashes long before the pod is killed");
        assertTrue(SERVICES.get("gateway-service").reads("CHAT_LIMITS_MAX_CONNECTIONS"));
    }

    static Map<String, Object> gatewayAutoscaler() {
        Map<String, Object> hpa = byName("HorizontalPodAutoscaler").get("gateway");
        assertNotNull(hpa, "a HorizontalPodAutoscaler for the gateways");
        return hpa;
    }

    static long connectionCap() {
        Map<String, Object> container = serviceContainers().stream().filter(c -> module(c).equals("gateway-service")).findFirst().orElseThrow();
        String cap = environment(container).get("CHAT_LIMITS_MAX_CONNECTIONS");
        assertNotNull(cap, "the gateway Deployment sets CHAT_LIMITS_MAX_CONNECTIONS");
        return Long.parseLong(cap);
    }

    static Map<String, Object> firstOfType(List<Map<String, Object>> metrics, String type) {
        return metrics.stream().filter(m -> type.equals(m.get("type"))).findFirst().orElseThrow(() -> new AssertionError("no " + type + " metric"));
    }

    /** The metric an adapter rule reads: the name its seriesQuery starts with. */
    static String seriesName(Map<String, Object> rule) {
        Matcher name = Pattern.compile("^\\s*'?([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher((String) rule.get("seriesQuery"));
        assertTrue(name.find(), "seriesQuery names a metric: " + rule.get("seriesQuery"));
        return name.group(1);
    }

    /**
     * The gauges the gateway registers (Micrometer names such as chat.gateway.connections), under their
     * Prometheus names (dots become underscores; a gauge gets no suffix). MetricsTest and DrainSpreadIT
     * read chat_gateway_connections from a running gateway's /q/metrics.
     */
    static Set<String> gatewayGauges() {
        Set<String> gauges = new HashSet<>();
        Pattern gauge = Pattern.compile("(?:\\.gauge|Gauge\\.builder)\\(\\s*\"([a-z0-9_.]+)\"");
        try (Stream<Path> sources = Files.walk(SERVICES.get("gateway-service").dir.resolve("src/main/java"))) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = gauge.matcher(Files.readString(source));
                while (m.find()) {
                    gauges.add(m.group(1).replace('.', '_'));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertFalse(gauges.isEmpty(), "no gauges found in the gateway's sources");
        return gauges;
    }

    @Test
    void theBackingServiceAddressesMatchTheTestClusterOnes() {
        Map<String, String> common = configMap("chat-common");
        Map<String, String> history = configMap("chat-history");
        URI redis = URI.create(common.get("QUARKUS_REDIS_HOSTS"));
        assertServicePort(redis.getHost(), redis.getPort());
        URI reactive = URI.create(history.get("QUARKUS_DATASOURCE_REACTIVE_URL").replaceFirst("^vertx-reactive:", ""));
        URI jdbc = URI.create(history.get("QUARKUS_DATASOURCE_JDBC_URL").replaceFirst("^jdbc:", ""));
        assertEquals(reactive.getHost() + ":" + reactive.getPort() + reactive.getPath(), jdbc.getHost() + ":" + jdbc.getPort() + jdbc.getPath(),
                "the reactive and the JDBC (Flyway) URL name the same database");
        assertServicePort(reactive.getHost(), reactive.getPort());
        Map<String, Object> postgres = byName("StatefulSet").get(reactive.getHost());
        Map<String, String> postgresEnv = environment(only(list(podSpec(postgres), "containers"), postgres));
        assertEquals(reactive.getPath().substring(1), postgresEnv.get("POSTGRES_DB"));
    }

    @Test
    void theKustomizationsListEveryManifest() throws IOException {
        Set<Path> listed = new HashSet<>();
        try (Stream<Path> files = Files.walk(KUBERNETES)) {
            for (Path kustomization : files.filter(p -> p.getFileName().toString().equals("kustomization.yaml")).toList()) {
                Map<String, Object> doc = load(kustomization).get(0);
                for (Object resource : (List<?>) doc.get("resources")) {
                    Path path = kustomization.getParent().resolve((String) resource).normalize();
                    assertTrue(Files.exists(path), kustomization + " lists a missing " + resource);
                    listed.add(path);
                }
            }
        }
        for (Path manifest : manifestFiles()) {
            assertTrue(listed.contains(manifest), manifest + " is in no kustomization.yaml");
        }
    }

    @Test
    void theFactsAboutTheServicesComeFromTheirConfigMappings() {
        ServiceConfigFacts gateway = SERVICES.get("gateway-service");
        ServiceConfigFacts history = SERVICES.get("history-service");
        for (String env : List.of("CHAT_LIMITS_MESSAGES_PER_SECOND", "CHAT_PRESENCE_TTL", "CHAT_DRAIN_TIMEOUT", "CHAT_NODE_ID",
                "CHAT_SHUTDOWN_DELAY", "CHAT_JWT_SECRET", "CHAT_LOG_JSON", "QUARKUS_REDIS_HOSTS")) {
            assertTrue(gateway.reads(env), "gateway reads " + env);
        }
        for (String env : List.of("CHAT_INGEST_BATCH_SIZE", "CHAT_RESEED_INTERVAL", "QUARKUS_DATASOURCE_JDBC_URL", "CHAT_LOG_JSON")) {
            assertTrue(history.reads(env), "history reads " + env);
        }
        for (String env : List.of("CHAT_LIMITS", "CHAT_INGEST_BATCH_SIZE", "CHAT_NODE")) {
            assertFalse(gateway.reads(env), "gateway reads no " + env);
        }
        assertEquals(8080, gateway.httpPort());
        assertEquals(8081, history.httpPort());
    }

    // --- Kustomize and monitoring ---------------------------------------------------------------

    @Test
    void kustomizeRendersEveryManifestFile() {
        Assumptions.assumeTrue(kubectl(), "no kubectl on the PATH: the other tests check the files as written");
        Set<String> rendered = new HashSet<>();
        for (String dir : KUSTOMIZATIONS) {
            for (Map<String, Object> doc : render(dir)) {
                rendered.add(doc.get("kind") + "/" + name(doc));
                assertEquals("chat", strings(map(map(doc, "metadata"), "labels")).get("app.kubernetes.io/part-of"), "label on " + name(doc));
            }
        }
        Set<String> written = new HashSet<>();
        manifestFiles().forEach(file -> load(file).forEach(doc -> written.add(doc.get("kind") + "/" + name(doc))));
        written.add("ConfigMap/chat-dashboard"); // generated from monitoring/chat-dashboard.json
        assertEquals(written, rendered);
        for (Map<String, Object> container : serviceContainers()) {
            assertTrue(((String) container.get("image")).matches(".*:[0-9][\\w.-]*"), "a rendered image has its tag: " + container.get("image"));
        }
    }

    @Test
    void theAlertRulesAndTheDashboardAreComplete() throws IOException {
        Map<String, Object> rule = byName("PrometheusRule").get("chat");
        assertNotNull(rule, "PrometheusRule chat (monitoring/alerts.yaml)");
        Set<String> alerts = new HashSet<>();
        for (Map<String, Object> group : list(map(rule, "spec"), "groups")) {
            for (Map<String, Object> alert : list(group, "rules")) {
                alerts.add((String) alert.get("alert"));
                assertNotNull(alert.get("expr"), alert.get("alert") + ": expr");
                assertTrue(Set.of("info", "warning", "critical").contains(strings(map(alert, "labels")).get("severity")), alert.get("alert") + ": severity");
                assertNotNull(map(alert, "annotations").get("summary"), alert.get("alert") + ": summary");
                assertMetricNamesKnown(String.valueOf(alert.get("expr")), "alert " + alert.get("alert"));
            }
        }
        assertTrue(alerts.containsAll(Set.of("ChatIngestLagGrowing", "ChatMessagesLost", "ChatMessagesRejected", "ChatRedisSubscriberDown",
                "ChatGatewayNearConnectionCap")), "alerts: " + alerts);
        for (Map<String, Object> monitor : kind("PodMonitor")) {
            Map<String, Object> endpoint = only(list(map(monitor, "spec"), "podMetricsEndpoints"), monitor);
            assertEquals("management", endpoint.get("port"), "PodMonitor " + name(monitor) + " scrapes the management port");
            assertEquals("/q/metrics", endpoint.get("path"));
            assertNotNull(workloadWithLabels(map(map(monitor, "spec"), "selector").containsKey("matchLabels")
                    ? map(map(map(monitor, "spec"), "selector"), "matchLabels") : Map.of()), "PodMonitor " + name(monitor) + " selects a workload");
        }
        com.fasterxml.jackson.databind.JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(KUBERNETES.resolve("monitoring/chat-dashboard.json").toFile());
        assertTrue(dashboard.path("panels").size() >= 6, "dashboard panels");
        String all = dashboard.toString();
        for (String series : List.of("chat_gateway_connections", "chat_gateway_frames_sent_total", "chat_gateway_publish_latency_seconds_bucket",
                "chat_gateway_fanout_latency_seconds_bucket", "chat_gateway_slow_consumer_closes_total", "chat_history_ingest_lag",
                "chat_history_lost_total")) {
            assertTrue(all.contains(series), "the dashboard shows " + series);
        }
        for (com.fasterxml.jackson.databind.JsonNode panel : dashboard.path("panels")) {
            assertFalse(panel.path("targets").isEmpty(), panel.path("title") + " has no query");
            for (com.fasterxml.jackson.databind.JsonNode target : panel.path("targets")) {
                assertMetricNamesKnown(target.path("expr").asText(), "panel " + panel.path("title"));
            }
        }
    }

    /** Our series are chat_gateway_* or chat_history_* (each service's MonitoringFilesTest checks it exposes them); else Prometheus's own. */
    static void assertMetricNamesKnown(String expr, String where) {
        Matcher chat = Pattern.compile("\\bchat_[a-z0-9_]+").matcher(expr);
        while (chat.find()) {
            assertTrue(chat.group().startsWith("chat_gateway_") || chat.group().startsWith("chat_history_"), where + ": " + chat.group());
        }
    }

    // --- docker-compose --------------------------------------------------------------------------

    @Test
    void theComposeServicesMatchTheCode() throws IOException {
        Map<String, Object> compose = load(DEPLOY.resolve("docker-compose.yml")).get(0);
        Map<String, Object> services = map(compose, "services");
        Map<String, Integer> httpPorts = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : services.entrySet()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> service = (Map<String, Object>) entry.getValue();
            for (Object dependency : dependsOn(service)) {
                assertTrue(services.containsKey(dependency), entry.getKey() + " depends on a missing " + dependency);
            }
            if (!(service.get("build") instanceof Map<?, ?>)) {
                continue;
            }
            Map<String, Object> build = map(service, "build");
            Path context = DEPLOY.resolve((String) build.get("context")).normalize();
            assertEquals(ServiceProcess.ROOT, context, entry.getKey() + ": the images build from the repository root (parent pom, wrapper)");
            String dockerfileName = (String) build.get("dockerfile");
            ServiceConfigFacts facts = SERVICES.get(Path.of(dockerfileName).getName(0).toString());
            assertNotNull(facts, entry.getKey() + " builds " + dockerfileName);
            Path dockerfile = context.resolve(dockerfileName);
            assertTrue(Files.exists(dockerfile), dockerfile.toString());
            assertTrue(((String) service.get("image")).startsWith(PLACEHOLDER_REGISTRY + "/"), entry.getKey() + ": image " + service.get("image"));
            Map<String, String> env = strings(map(service, "environment"));
            for (String name : env.keySet()) {
                assertTrue(facts.reads(name), entry.getKey() + ": " + facts.module + " reads no " + name);
            }
            int port = Integer.parseInt(env.getOrDefault("QUARKUS_HTTP_PORT", Integer.toString(facts.httpPort())));
            int managementPort = Integer.parseInt(env.getOrDefault("QUARKUS_MANAGEMENT_PORT", Integer.toString(facts.managementPort())));
            assertTrue(Files.readString(dockerfile).contains("EXPOSE " + port + " " + managementPort), dockerfile + " exposes " + port + " and " + managementPort);
            httpPorts.put(entry.getKey(), port);
            String health = String.join(" ", strings(objects(map(service, "healthcheck"), "test")));
            assertTrue(health.contains("GET /q/health/ready "), entry.getKey() + " health check asks readiness: " + health);
            assertTrue(health.contains("{QUARKUS_MANAGEMENT_PORT}") || health.contains(":" + managementPort + "/"),
                    entry.getKey() + " health check asks the service's management port: " + health);
            assertFalse(String.join(" ", strings(objects(service, "ports"))).contains(Integer.toString(managementPort)),
                    entry.getKey() + " publishes its management port");
            if (facts.module.equals("gateway-service")) {
                long drain = seconds(env.getOrDefault("CHAT_SHUTDOWN_DELAY", facts.envReads.get("CHAT_SHUTDOWN_DELAY")))
                        + seconds(env.getOrDefault("CHAT_DRAIN_TIMEOUT", facts.defaultOf("chat.drain-timeout")))
                        + seconds(facts.defaultOf("quarkus.shutdown.timeout"));
                assertTrue(seconds((String) service.get("stop_grace_period")) >= drain + GRACE_MARGIN_SECONDS,
                        entry.getKey() + ": stop_grace_period below the drain");
            }
            URI redis = URI.create(env.get("QUARKUS_REDIS_HOSTS"));
            assertTrue(services.containsKey(redis.getHost()), entry.getKey() + ": Redis host " + redis.getHost());
            assertTrue(dependsOn(service).contains(redis.getHost()), entry.getKey() + " waits for " + redis.getHost());
            if (env.containsKey("QUARKUS_DATASOURCE_REACTIVE_URL")) {
                URI db = URI.create(env.get("QUARKUS_DATASOURCE_REACTIVE_URL").replaceFirst("^vertx-reactive:", ""));
                URI jdbc = URI.create(env.get("QUARKUS_DATASOURCE_JDBC_URL").replaceFirst("^jdbc:", ""));
                assertEquals(db.getHost() + db.getPath(), jdbc.getHost() + jdbc.getPath());
                Map<String, String> postgres = strings(map(map(services, db.getHost()), "environment"));
                assertEquals(postgres.get("POSTGRES_DB"), db.getPath().substring(1), "database name");
                assertEquals(postgres.get("POSTGRES_USER"), env.get("QUARKUS_DATASOURCE_USERNAME"), "database user");
                assertEquals(postgres.get("POSTGRES_PASSWORD"), env.get("QUARKUS_DATASOURCE_PASSWORD"), "database password");
                assertTrue(dependsOn(service).contains(db.getHost()), entry.getKey() + " waits for " + db.getHost());
            }
        }
        assertEquals(Set.of("gateway-a", "gateway-b", "history"), httpPorts.keySet());
        // nginx (deploy/nginx/nginx.conf, mounted by compose) routes to those services on those ports.
        String nginx = Files.readString(DEPLOY.resolve("nginx/nginx.conf"));
        Matcher server = Pattern.compile("server\\s+([\\w.-]+):(\\d+);").matcher(nginx);
        Set<String> upstreams = new HashSet<>();
        while (server.find()) {
            assertEquals(httpPorts.get(server.group(1)), Integer.valueOf(server.group(2)), "nginx upstream " + server.group());
            upstreams.add(server.group(1));
        }
        assertEquals(httpPorts.keySet(), upstreams, "nginx routes to every service container");
        Matcher listen = Pattern.compile("listen\\s+(\\d+);").matcher(nginx);
        assertTrue(listen.find());
        String published = String.join(" ", strings(objects(map(services, "nginx"), "ports")));
        assertTrue(published.endsWith(":" + listen.group(1)), "compose publishes nginx's port " + listen.group(1) + ": " + published);
        List<String> redis = strings(objects(map(services, "redis"), "command"));
        assertEquals("noeviction", redis.get(redis.indexOf("--maxmemory-policy") + 1), "compose Redis: " + redis);
    }

    // --- nginx -----------------------------------------------------------------------------------

    @Test
    void nginxRefusesManagementPathsAndRetriesARefusingGateway() throws IOException {
        String routes = Files.readString(DEPLOY.resolve("nginx/chat-routes.conf"));
        assertTrue(Pattern.compile("location \\^~ /q/ \\{\\s*return 404;").matcher(routes).find(), "nginx refuses /q/");
        Matcher retry = Pattern.compile("(?m)^proxy_next_upstream ([^;]*);").matcher(routes);
        assertTrue(retry.find() && retry.group(1).contains("http_503"), "nginx retries a 503 on the next gateway");
        assertFalse(retry.group(1).contains("non_idempotent"), "a POST is never sent twice");
        String http = Files.readString(DEPLOY.resolve("nginx/chat-http.conf"));
        Matcher format = Pattern.compile("log_format chat ([^;]*);").matcher(http);
        assertTrue(format.find());
        for (String leaky : List.of("$request ", "$request\"", "$request_uri", "$args", "$query_string", "$arg_")) {
            assertFalse(format.group(1).contains(leaky), "the access log would hold query strings (access_token): " + leaky);
        }
    }

    @Test
    void nginxDropsAKeptAliveUpstreamConnectionBeforeTheServiceClosesIt() throws IOException {
        for (String service : List.of("gateway-service", "history-service")) {
            Duration idle = Duration.parse("PT" + SERVICES.get(service).properties.get("quarkus.http.idle-timeout"));
            for (String file : List.of("nginx/nginx.conf", "nginx/local.conf.template")) {
                Matcher upstream = Pattern.compile("upstream (\\w+) \\{([^}]*)}").matcher(Files.readString(DEPLOY.resolve(file)));
                int upstreams = 0;
                while (upstream.find()) {
                    upstreams++;
                    Matcher timeout = Pattern.compile("keepalive_timeout (\\d+)s;").matcher(upstream.group(2));
                    // nginx's own default is 60 s: set, so that it stays below whatever the services use.
                    assertTrue(timeout.find(), file + ": upstream " + upstream.group(1) + " sets its keep-alive timeout");
                    assertTrue(Duration.ofSeconds(Long.parseLong(timeout.group(1))).compareTo(idle) < 0,
                            file + ": upstream " + upstream.group(1) + " keeps connections " + timeout.group(1) + " s, " + service + " closes them after " + idle);
                }
                assertEquals(2, upstreams, file);
            }
        }
    }

    // --- Dockerfiles ---------------------------------------------------------------------------

    @Test
    void theImagesRunOnJava25WithCompactObjectHeadersAndTheManifestsKeepThem() throws IOException {
        for (ServiceConfigFacts service : SERVICES.values()) {
            Path file = service.dir.resolve("src/main/docker/Dockerfile.jvm");
            List<String> lines = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.startsWith("#")).toList();
            String runtime = lines.stream().filter(l -> l.startsWith("FROM ")).reduce((first, second) -> second).orElseThrow();
            assertTrue(runtime.contains("openjdk-25-runtime"), file + ": a Java 25 runtime, which has compact object headers: " + runtime);
            String imageOptions = imageEnvironment(service.module).get("JAVA_OPTS_APPEND");
            assertTrue(imageOptions.contains("-XX:+UseCompactObjectHeaders"), file + ": " + imageOptions);
        }
        // A manifest's JAVA_OPTS_APPEND replaces the image's, so it must repeat the option.
        for (Map<String, Object> container : serviceContainers()) {
            assertTrue(environment(container).getOrDefault("JAVA_OPTS_APPEND", "").contains("-XX:+UseCompactObjectHeaders"),
                    module(container) + ": JAVA_OPTS_APPEND drops the image's compact object headers");
        }
    }

    @Test
    void aManifestKeepsEveryJvmOptionOfItsImage() throws IOException {
        // The manifest's JAVA_OPTS_APPEND replaces the image's: an -XX option tuned in one and not the other (GC, young
        // generation, inlining) would silently run production with another JVM than the one measured.
        Pattern option = Pattern.compile("-XX:\\S+");
        for (Map<String, Object> container : serviceContainers()) {
            Path file = ServiceProcess.ROOT.resolve(module(container)).resolve("src/main/docker/Dockerfile.jvm");
            Map<String, String> image = imageEnvironment(module(container));
            String imageOptions = image.get("JAVA_OPTS_APPEND");
            String manifestOptions = environment(container).getOrDefault("JAVA_OPTS_APPEND", "");
            assertEquals(image.get("GC_CONTAINER_OPTIONS"), environment(container).get("GC_CONTAINER_OPTIONS"),
                    module(container) + ": the manifest names the collector its image runs (and measured)");
            Matcher imageOption = option.matcher(imageOptions);
            int checked = 0;
            while (imageOption.find()) {
                checked++;
                assertTrue(List.of(manifestOptions.split("\\s+")).contains(imageOption.group()),
                        module(container) + ": the manifest's JAVA_OPTS_APPEND lacks the image's " + imageOption.group());
            }
            assertTrue(checked > 0, file + ": no -XX option found in " + imageOptions);
        }
    }

    @Test
    void theAotCacheIsRecordedWithTheJvmOptionsOfTheImage() throws IOException {
        // A cache recorded with other options than the service runs with is refused (compact headers) or trained on
        // another JVM (GC, inlining): each service's pom gives its integration tests the image's options.
        Pattern option = Pattern.compile("-X\\S+");
        for (ServiceConfigFacts service : SERVICES.values()) {
            String pom = Files.readString(service.dir.resolve("pom.xml"));
            Matcher training = Pattern.compile("<aot.training.jvm-args>([^<]*)</aot.training.jvm-args>").matcher(pom);
            assertTrue(training.find(), service.dir + "/pom.xml: aot.training.jvm-args");
            Map<String, String> image = imageEnvironment(service.module);
            String imageOptions = image.get("GC_CONTAINER_OPTIONS") + " " + image.get("JAVA_OPTS_APPEND");
            List<String> expected = option.matcher(imageOptions).results().map(MatchResult::group).sorted().toList();
            List<String> recorded = option.matcher(training.group(1)).results().map(MatchResult::group).sorted().toList();
            assertFalse(expected.isEmpty(), service.dir + ": no JVM option in " + imageOptions);
            assertEquals(expected, recorded, service.dir + ": the AOT cache's training options against the image's");
        }
    }

    @Test
    void theLocalLauncherAndTheBenchmarkRunTheJvmOfTheImages() throws Exception {
        // deploy/local/run.sh and load-test/benchmark.sh take each service's options from one shell function: what they
        // measure must be the JVM the image's entrypoint starts, compared as the JVM reads its options. Every flag either
        // command line sets counts, but for the heap's size (the pod's memory, not this machine's), exiting on
        // OutOfMemoryError (the pod's restart), the collectors' settings the chosen collector never reads, and compact
        // object headers (the launchers add them apart, where the local JVM has them).
        Map<String, String> functions = Map.of("gateway-service", "gateway_jvm_options", "history-service", "history_jvm_options");
        for (Map.Entry<String, String> service : functions.entrySet()) {
            Map<String, List<String>> image = jvmFlags(entrypointJvmOptions(imageEnvironment(service.getKey())));
            Map<String, List<String>> local = jvmFlags(List.of(ServiceProcess.shellFunctionOutput(service.getValue()).split("\\s+")));
            Set<String> ignored = new HashSet<>(Set.of("MaxRAMPercentage", "MaxHeapSize", "ExitOnOutOfMemoryError", "UseCompactObjectHeaders",
                    "PrintFlagsFinal"));
            if (!image.get("UseParallelGC").get(0).equals("true")) {
                ignored.add("AdaptiveSizePolicyWeight"); // the parallel collector's only
            }
            if (image.get("UseSerialGC").get(0).equals("true")) {
                ignored.add("GCTimeRatio"); // sizes the parallel and G1 collectors' heaps, not the serial one's
            }
            int compared = 0;
            for (String flag : image.keySet()) {
                // "command line", or "command line, ergonomic" for a flag the JVM adjusted after reading it
                boolean set = image.get(flag).get(1).startsWith("command line") || local.get(flag).get(1).startsWith("command line");
                if (set && !ignored.contains(flag)) {
                    compared++;
                    assertEquals(image.get(flag).get(0), local.get(flag).get(0),
                            service.getValue() + " against the " + service.getKey() + " image's JVM: " + flag);
                }
            }
            assertTrue(compared >= 5, service.getKey() + ": " + compared + " flags compared");
        }
        for (String script : List.of("deploy/local/run.sh", "load-test/benchmark.sh")) {
            String text = Files.readString(ServiceProcess.ROOT.resolve(script));
            assertTrue(text.contains("${GATEWAY_JAVA_OPTS:-$(gateway_jvm_options)}"), script + " starts the gateways with gateway_jvm_options");
            assertTrue(text.contains("java $(history_jvm_options) $footprint"), script + " starts the history service with history_jvm_options");
        }
    }

    @Test
    void theImagesJvmStartsWithTheCommandLineItsEntrypointBuilds() throws Exception {
        // The entrypoint puts the collector of GC_CONTAINER_OPTIONS (its own when unset) before JAVA_OPTS_APPEND: a
        // collector named in JAVA_OPTS_APPEND too stops the JVM ("Multiple garbage collectors selected") and the pod with
        // it. Each image's own settings, and each pod's over them, must start a JVM that runs the collector they name.
        for (Map<String, Object> container : serviceContainers()) {
            Map<String, String> image = imageEnvironment(module(container));
            Map<String, String> pod = new LinkedHashMap<>(image);
            pod.putAll(environment(container));
            for (Map<String, String> env : List.of(image, pod)) {
                assertFalse(env.containsKey("JAVA_OPTS"), module(container) + ": JAVA_OPTS would replace the entrypoint's options and JAVA_OPTS_APPEND");
                for (String unmodelled : ENTRYPOINT_VARIABLES_NOT_MODELLED) {
                    assertFalse(env.containsKey(unmodelled), module(container) + ": " + unmodelled + " changes the entrypoint's options, and "
                            + "backing-services.sh's entrypoint_jvm_options does not model it");
                }
                Map<String, List<String>> flags = jvmFlags(entrypointJvmOptions(env));
                List<String> collectors = COLLECTORS.stream().filter(c -> flags.get(c).get(0).equals("true")).toList();
                String named = env.getOrDefault("GC_CONTAINER_OPTIONS", "-XX:+UseParallelGC").replaceFirst("^-XX:\\+", "");
                assertEquals(List.of(named), collectors, module(container) + ": the collector the JVM runs with " + env);
            }
        }
    }

    @Test
    void theDockerfilesBuildTheJarThemselves() throws IOException {
        List<String> ignored = Files.readAllLines(ServiceProcess.ROOT.resolve(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(ignored.containsAll(List.of("**/target/", ".git/", "**/node_modules/")), ".dockerignore: " + ignored);
        for (ServiceConfigFacts service : SERVICES.values()) {
            for (String variant : List.of("Dockerfile.jvm", "Dockerfile.native")) {
                Path file = service.dir.resolve("src/main/docker/" + variant);
                List<String> lines = Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.startsWith("#")).toList();
                List<String> stages = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
                assertEquals(2, stages.size(), file + ": a build stage and a runtime stage");
                assertTrue(stages.get(0).endsWith(" AS build"), file + ": " + stages.get(0));
                if (variant.equals("Dockerfile.jvm")) {
                    assertTrue(stages.get(0).matches("FROM \\S*17\\S* AS build") && stages.get(0).contains("jdk")
                            && !stages.get(0).contains("runtime"), file + ": a JDK 17 builder: " + stages.get(0));
                    assertTrue(stages.get(1).contains("runtime") || stages.get(1).contains("jre"), file + ": a JRE to run: " + stages.get(1));
                } else {
                    Matcher pinned = Pattern.compile("<quarkus.native.builder-image>([^<]+)<").matcher(Files.readString(ServiceProcess.ROOT.resolve("pom.xml")));
                    assertTrue(pinned.find(), "the root pom pins the native builder image");
                    assertEquals("FROM " + pinned.group(1) + " AS build", stages.get(0), file + ": the builder image the native profile pins");
                }
                String body = String.join("\n", lines).replace("\\\n", " ");
                assertTrue(body.contains("./mvnw ") && body.contains("-pl " + service.module + " -am"),
                        file + " runs the Maven wrapper for " + service.module + " and what it depends on (-am: chat-common)");
                List<String> copied = new ArrayList<>();
                for (String line : lines) {
                    Matcher copy = Pattern.compile("^COPY (?!--from)(?:--\\S+ )*(.+) (\\S+)$").matcher(line);
                    if (copy.matches()) {
                        for (String source : copy.group(1).split(" ")) {
                            copied.add(source);
                            Path path = ServiceProcess.ROOT.resolve(source);
                            assertTrue(Files.exists(path), file + " copies a missing " + source);
                            assertFalse(ignored.stream().anyMatch(i -> source.contains(i.replace("**/", "").replace("/", ""))
                                    && !i.startsWith("*.")), file + " copies " + source + ", which .dockerignore drops");
                        }
                    } else if (line.startsWith("COPY --from=build")) {
                        assertTrue(line.contains("/" + service.module + "/target/"), file + ": copies the build's output: " + line);
                    }
                }
                // Maven refuses a parent whose listed modules are missing, even those it does not build.
                Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ServiceProcess.ROOT.resolve("pom.xml")));
                while (module.find()) {
                    assertTrue(copied.contains(module.group(1) + "/pom.xml"), file + " copies " + module.group(1) + "/pom.xml, which the parent lists");
                }
                assertTrue(copied.contains("chat-common/src/main/"), file + " copies chat-common's sources, which the service is built with");
                int expose = service.httpPort();
                assertTrue(lines.contains("EXPOSE " + expose + " " + service.managementPort()), file + " exposes " + expose + " and management");
                Matcher user = Pattern.compile("(?m)^USER (\\d+)$").matcher(String.join("\n", lines));
                assertTrue(user.find() && !user.group(1).equals("0"), file + " runs as a non-root user");
            }
        }
    }

    // --- helpers ---------------------------------------------------------------------------------

    /** The ENV settings of a service's JVM image (Dockerfile.jvm), unquoted. */
    static Map<String, String> imageEnvironment(String module) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(ServiceProcess.ROOT.resolve(module).resolve("src/main/docker/Dockerfile.jvm"))) {
                Matcher setting = Pattern.compile("^ENV (\\w+)=\"?([^\"]*)\"?$").matcher(line.strip());
                if (setting.matches()) {
                    env.put(setting.group(1), setting.group(2));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(env.containsKey("JAVA_OPTS_APPEND"), module + "'s Dockerfile.jvm sets JAVA_OPTS_APPEND");
        return env;
    }

    /** The JVM options the images' entrypoint gives java for a container's variables (backing-services.sh's model of it). */
    static List<String> entrypointJvmOptions(Map<String, String> env) {
        return List.of(ServiceProcess.shellFunctionOutput("entrypoint_jvm_options", env).split("\\s+"));
    }

    /**
     * The flags a JVM started with OPTIONS runs with (-XX:+PrintFlagsFinal): each flag's value and where it came from
     * ("command line", "default", "ergonomic"). Compact object headers are left out on a JDK older than the images' 25.
     */
    static Map<String, List<String>> jvmFlags(List<String> options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(options);
        if (Runtime.version().feature() < 25) {
            command.remove("-XX:+UseCompactObjectHeaders");
        }
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), command + " does not start:\n" + output);
        Map<String, List<String>> flags = new LinkedHashMap<>();
        Matcher flag = Pattern.compile("(?m)^\\s*\\S+ (\\w+)\\s+= (\\S*)\\s+\\{[^}]*} \\{([^}]*)}").matcher(output);
        while (flag.find()) {
            flags.put(flag.group(1), List.of(flag.group(2), flag.group(3)));
        }
        assertTrue(flags.containsKey("UseSerialGC"), command + ": no flags read from\n" + output);
        return flags;
    }

    static List<Path> manifestFiles() {
        try (Stream<Path> files = Files.walk(KUBERNETES)) {
            return files.filter(p -> p.toString().endsWith(".yaml") && !p.getFileName().toString().equals("kustomization.yaml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kustomization folders, each applied on its own (README, "Running on Kubernetes"). */
    static final List<String> KUSTOMIZATIONS = List.of(".", "test-cluster", "monitoring", "prometheus-adapter");
    private static List<Map<String, Object>> manifests;

    /**
     * Every manifest as Kubernetes receives it: rendered by {@code kubectl kustomize} (image tags, labels
     * and generated ConfigMaps applied) when kubectl is on the PATH, else the files as written.
     */
    static synchronized List<Map<String, Object>> manifests() {
        if (manifests == null) {
            List<Map<String, Object>> docs = new ArrayList<>();
            if (kubectl()) {
                KUSTOMIZATIONS.forEach(dir -> docs.addAll(render(dir)));
            } else {
                manifestFiles().forEach(file -> docs.addAll(load(file)));
            }
            assertFalse(docs.isEmpty(), "no manifests in " + KUBERNETES);
            manifests = docs;
        }
        return manifests;
    }

    static boolean kubectl() {
        try {
            Process which = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            which.getInputStream().readAllBytes();
            return which.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(String dir) {
        try {
            Process kustomize = new ProcessBuilder("kubectl", "kustomize", KUBERNETES.resolve(dir).toString()).start();
            String out = new String(kustomize.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String err = new String(kustomize.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, kustomize.waitFor(), "kubectl kustomize " + dir + ": " + err);
            List<Map<String, Object>> docs = new ArrayList<>();
            for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(out)) {
                if (doc != null) {
                    docs.add((Map<String, Object>) doc);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> load(Path file) {
        // SafeConstructor resolves compose's anchors and << merge keys.
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<Map<String, Object>> docs = new ArrayList<>();
        try {
            for (Object doc : yaml.loadAll(Files.readString(file))) {
                if (doc != null) {
                    docs.add((Map<String, Object>) doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    static List<Map<String, Object>> kind(String kind) {
        return manifests().stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    static Map<String, Map<String, Object>> byName(String kind) {
        Map<String, Map<String, Object>> named = new LinkedHashMap<>();
        kind(kind).forEach(d -> named.put(name(d), d));
        return named;
    }

    static String name(Map<String, Object> doc) {
        return (String) map(doc, "metadata").get("name");
    }

    static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload, "spec"), "template"), "spec");
    }

    /** The containers that run one of our services (image chat/<module>), each remembering its pod. */
    static List<Map<String, Object>> serviceContainers() {
        List<Map<String, Object>> containers = new ArrayList<>();
        for (Map<String, Object> deployment : kind("Deployment")) {
            for (Map<String, Object> container : list(podSpec(deployment), "containers")) {
                if (SERVICES.containsKey(module(container))) {
                    Map<String, Object> withPod = new LinkedHashMap<>(container);
                    withPod.put("$pod", podSpec(deployment));
                    containers.add(withPod);
                }
            }
        }
        return containers;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> podOf(Map<String, Object> container) {
        return (Map<String, Object>) container.get("$pod");
    }

    static String module(Map<String, Object> container) {
        return ((String) container.get("image")).replaceFirst("^.*/", "").replaceFirst("[:@].*$", "");
    }

    /** The container's environment: env values and every key of the ConfigMaps in envFrom; secret refs as "secret:<name>". */
    static Map<String, String> environment(Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> from : list(container, "envFrom")) {
            String configMap = (String) map(from, "configMapRef").get("name");
            env.putAll(configMap(configMap));
        }
        for (Map<String, Object> variable : list(container, "env")) {
            Object value = variable.get("value");
            if (value == null) {
                Map<String, Object> ref = map(variable, "valueFrom");
                value = ref.containsKey("secretKeyRef") ? "secret:" + map(ref, "secretKeyRef").get("name") : "ref";
            }
            env.put((String) variable.get("name"), value.toString());
        }
        return env;
    }

    static Map<String, String> configMap(String name) {
        Map<String, Object> configMap = byName("ConfigMap").get(name);
        assertNotNull(configMap, "ConfigMap " + name);
        return strings(map(configMap, "data"));
    }

    static Map<String, Object> workloadWithLabels(Map<String, Object> selector) {
        for (Map<String, Object> workload : manifests()) {
            if (!Set.of("Deployment", "StatefulSet").contains(workload.get("kind"))) {
                continue;
            }
            Map<String, Object> labels = map(map(map(map(workload, "spec"), "template"), "metadata"), "labels");
            if (labels.entrySet().containsAll(selector.entrySet())) {
                return podSpec(workload);
            }
        }
        return null;
    }

    static void assertServicePort(String host, int port) {
        Map<String, Object> service = byName("Service").get(host);
        assertNotNull(service, "no Service " + host + " (test-cluster/)");
        assertTrue(list(map(service, "spec"), "ports").stream().anyMatch(p -> Integer.valueOf(port).equals(p.get("port"))),
                "Service " + host + " has no port " + port);
    }

    static List<Object> dependsOn(Map<String, Object> service) {
        Object dependsOn = service.get("depends_on");
        if (dependsOn instanceof Map<?, ?> conditions) {
            return new ArrayList<>(conditions.keySet());
        }
        return dependsOn == null ? List.of() : new ArrayList<>((List<?>) dependsOn);
    }

    /** Seconds of a duration as the services and compose write it: 2s, 10S, 1m, or a number. */
    static long seconds(String duration) {
        assertNotNull(duration, "a duration");
        Matcher m = Pattern.compile("(?i)(\\d+)(ms|s|m)?").matcher(duration.strip());
        if (!m.matches()) {
            fail("unreadable duration " + duration);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase();
        return switch (unit) {
            case "ms" -> (n + 999) / 1000;
            case "m" -> n * 60;
            default -> n;
        };
    }

    /** Bytes of a Kubernetes quantity (512Mi, 1Gi) or a JVM size (256m, 1g). */
    static long bytes(String size) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|k|K|m|M|g|G)?").matcher(size);
        if (!m.matches()) {
            fail("unreadable size " + size);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        return switch (unit) {
            case "Ki", "k", "K" -> n << 10;
            case "Mi", "m", "M" -> n << 20;
            case "Gi", "g", "G" -> n << 30;
            default -> n;
        };
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> objects(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return value == null ? List.of() : (List<Object>) value;
    }

    static Map<String, Object> only(List<Map<String, Object>> items, Map<String, Object> where) {
        assertEquals(1, items.size(), "exactly one in " + where.get("name"));
        return items.get(0);
    }

    static Map<String, String> strings(Map<String, Object> map) {
        Map<String, String> strings = new LinkedHashMap<>();
        map.forEach((k, v) -> strings.put(k, String.valueOf(v)));
        return strings;
    }

    static List<String> strings(List<Object> list) {
        return list.stream().map(String::valueOf).toList();
    }
}
