package dev.chat.gateway.connection;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One instance of each upgrade header name, and of each value that repeats from one connection to the next, for the
 * whole gateway. websockets-next keeps a copy of every connection's upgrade headers for the connection's life, with the
 * strings it is given, and the HTTP decoder makes a fresh name and value string per header and per upgrade, although
 * host, upgrade, connection and version are the same on every connection of a gateway (0.55 KB per idle connection,
 * BENCHMARKS.md, forty-fourth session). Bounded whatever clients send: names come from a fixed set, values from a
 * table that stops taking new ones when full, and anything else passes through as it came.
 */
final class SharedHeaderStrings {

    /** Headers whose values repeat from one connection to the next; the handshake's key and X-Forwarded-For do not. */
    static final Set<String> REPEATING = Set.of("host", "origin", "upgrade", "connection", "sec-websocket-version",
            "sec-websocket-extensions", "sec-websocket-protocol", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port");

    /** The names an upgrade carries once {@link UpgradeHeaders#UNREAD} are gone, lower-cased as websockets-next keys them. */
    private static final Map<String, String> NAMES = Stream
            .concat(REPEATING.stream(), List.of("sec-websocket-key", "authorization", "x-forwarded-for", "x-real-ip", "forwarded").stream())
            .collect(Collectors.toUnmodifiableMap(Function.identity(), Function.identity()));

    /**
     * Distinct repeating values kept (give or take the event loops adding at once): a gateway sees a few hosts and
     * origins; a client inventing more only stops the sharing of new ones.
     */
    static final int VALUE_CAPACITY = 64;

    private final ConcurrentHashMap<String, String> values = new ConcurrentHashMap<>();

    /** Puts the headers back, in their order and with their repeats, as the shared instances where there are some. */
    void share(MultiMap headers) {
        List<Map.Entry<String, String>> received = headers.entries();
        headers.clear();
        for (Map.Entry<String, String> header : received) {
            String name = NAMES.get(header.getKey().toLowerCase(Locale.ROOT));
            if (name == null) {
                headers.add(header.getKey(), header.getValue());
            } else {
                headers.add(name, REPEATING.contains(name) ? value(header.getValue()) : header.getValue());
            }
        }
    }

    private String value(String received) {
        String shared = values.get(received);
        if (shared != null) {
            return shared;
        }
        if (values.size() >= VALUE_CAPACITY) {
            return received;
        }
        shared = values.putIfAbsent(received, received);
        return shared != null ? shared : received;
    }

    /** How many distinct values are kept, for tests. */
    int valuesKept() {
        return values.size();
    }
}
