package dev.chat.common.logging;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.jboss.logging.MDC;

/**
 * Gives every HTTP request (WebSocket upgrades included) a request id for log correlation: the
 * caller's {@code X-Request-Id} when it is a sane token (a load balancer's, say), else a new one. It
 * goes into the logging MDC as {@code requestId}, so every line logged while serving the request
 * carries it in JSON logs, and back to the caller in the response's {@code X-Request-Id}.
 */
@ApplicationScoped
public class RequestIds {

    public static final String HEADER = "X-Request-Id";
    public static final String MDC_KEY = "requestId";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    void register(@Observes Filters filters) {
        filters.register(rc -> {
            String id = rc.request().getHeader(HEADER);
            if (id == null || !SANE.matcher(id).matches()) {
                id = Long.toHexString(ThreadLocalRandom.current().nextLong());
            }
            // Quarkus keeps the MDC in the request's Vert.x context, so it follows the request across threads.
            MDC.put(MDC_KEY, id);
            rc.response().putHeader(HEADER, id);
            rc.next();
        }, 1000);
    }
}
