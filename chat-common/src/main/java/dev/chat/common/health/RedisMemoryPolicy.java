package dev.chat.common.health;

import io.quarkus.logging.Log;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Warns, in the log and in readiness, when Redis may evict keys. Room counters, epochs, idempotency
 * keys, the generation and history's stored positions live in Redis: evicting one silently breaks the
 * order or the idempotent-send guarantee, or makes history re-seed or re-read rooms.
 * Checked once at start with CONFIG GET maxmemory-policy, which a managed Redis may refuse (then it
 * says so). The check stays UP: every instance shares the one Redis, so a DOWN here would take them
 * all out of service at once for a risk, not a failure.
 */
@Readiness
@ApplicationScoped
public class RedisMemoryPolicy implements HealthCheck {

    static final String NAME = "redis-memory-policy";
    private static final Pattern EXPIRES = Pattern.compile("expires=(\\d+)");

    private final ReactiveRedisDataSource redis;
    private volatile String policy = "unchecked";
    private volatile String warning;

    public RedisMemoryPolicy(ReactiveRedisDataSource redis) {
        this.redis = redis;
    }

    void onStart(@Observes StartupEvent event) {
        check().subscribe().with(ignored -> { }, failure -> {
            policy = "unknown";
            warning = "could not read Redis's maxmemory-policy (" + failure.getMessage() + "); make sure it is noeviction";
            Log.warn(warning);
        });
    }

    /** Reads the policy, and for volatile-* whether any key has a TTL (ours do: idempotency, presence). */
    Uni<Void> check() {
        return redis.execute("CONFIG", "GET", "maxmemory-policy").onItem().transformToUni(reply -> {
            policy = reply != null && reply.containsKey("maxmemory-policy") ? reply.get("maxmemory-policy").toString() : "unknown";
            if (policy.startsWith("allkeys-")) {
                return Uni.createFrom().item(true);
            }
            if (policy.startsWith("volatile-")) {
                return redis.execute("INFO", "keyspace").map(RedisMemoryPolicy::anyKeyExpires);
            }
            return Uni.createFrom().item(false);
        }).invoke(mayEvict -> {
            if (mayEvict) {
                warning = "Redis maxmemory-policy is " + policy + ": when Redis fills up it evicts keys this service relies on"
                        + " (room counters, epochs, idempotency keys); set maxmemory-policy noeviction (README, \"Operations\")";
                Log.warn(warning);
            } else {
                warning = null;
                Log.infof("Redis maxmemory-policy is %s", policy);
            }
        }).replaceWithVoid();
    }

    private static boolean anyKeyExpires(Response info) {
        Matcher expires = EXPIRES.matcher(info == null ? "" : info.toString());
        while (expires.find()) {
            if (Long.parseLong(expires.group(1)) > 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named(NAME).up().withData("policy", policy);
        return (warning == null ? response : response.withData("warning", warning)).build();
    }
}
