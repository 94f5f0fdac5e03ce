package dev.chat.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The system that the test classes which need nothing special share: the history service and two gateways on the
 * shared Redis and database, started for the first class that asks and stopped when the test run ends. A start costs
 * about 10 s on a 2-core machine, so classes share one rather than start their own; each works in rooms and users of
 * its own. A class may take a service down (GatewayFailoverIT kills gateway A): the next class or test that asks for
 * the system gets it started again, on the same port.
 *
 * <p>Gateway A runs four event loops, more than a small machine's cores, so rooms and their members meet on different
 * loops; gateway B runs as in a pod limited to one CPU, with one. Both announce presence at a short interval
 * ({@link #FAST_PRESENCE}), so that a crashed gateway's users leave within seconds.
 *
 * <p>A class asks for it with {@code @ExtendWith(SharedSystem.Provider.class)} and a {@code SharedSystem} parameter of
 * its {@code @BeforeAll} or {@code @BeforeEach} method.
 */
final class SharedSystem implements AutoCloseable {

    /** Presence heartbeats every second and entries that expire 4 s after a gateway's last one. */
    static final Map<String, String> FAST_PRESENCE = Map.of("CHAT_PRESENCE_TTL", "4s", "CHAT_PRESENCE_HEARTBEAT_INTERVAL", "1s");

    final RedisCli redis = RedisCli.shared();
    final ServiceProcess history;
    final ServiceProcess gatewayA;
    final ServiceProcess gatewayB;

    private SharedSystem() {
        // Node ids of this run's own: another build's test run may share the machine's Redis.
        String run = UUID.randomUUID().toString().substring(0, 6);
        history = ServiceProcess.history("shared-history-" + run, redis.url(), RedisCli.sharedDatabase());
        gatewayA = ServiceProcess.gateway("shared-gateway-a-" + run, redis.url(), FAST_PRESENCE)
                .with("QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE", "4");
        gatewayB = ServiceProcess.gateway("shared-gateway-b-" + run, redis.url(), FAST_PRESENCE)
                .withJvmOptions(List.of("-XX:ActiveProcessorCount=1"));
    }

    /** Starts whichever of the three is not running (all of them the first time) and waits until they are ready. */
    private synchronized SharedSystem running() {
        List<ServiceProcess> down = new ArrayList<>();
        for (ServiceProcess service : all()) {
            if (!service.isAlive()) {
                down.add(service);
            }
        }
        if (!down.isEmpty()) {
            ServiceProcess.startAll(down.toArray(ServiceProcess[]::new));
            history.awaitRoomsCanStart();
        }
        return this;
    }

    private List<ServiceProcess> all() {
        return List.of(history, gatewayA, gatewayB);
    }

    /** Stops the three together: each drains what it still holds at once, rather than one after another. */
    @Override
    public void close() {
        all().forEach(ServiceProcess::terminate);
        for (ServiceProcess service : all()) {
            if (!service.awaitExit(Duration.ofSeconds(30))) {
                service.kill();
            }
        }
    }

    /**
     * Resolves a {@code SharedSystem} parameter. The system lives in the root context's store, which JUnit closes when
     * the whole run ends, before the JVM's shutdown hooks remove the packaged apps the services run from.
     */
    static final class Provider implements ParameterResolver {

        private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedSystem.class);

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == SharedSystem.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return context.getRoot().getStore(NAMESPACE).computeIfAbsent(SharedSystem.class, k -> new SharedSystem(), SharedSystem.class)
                    .running();
        }
    }
}
