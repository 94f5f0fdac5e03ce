package dev.chat.gateway.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upgrades share one instance of each header name and repeating value; what differs per client stays its own, every
 * header keeps its place, and no client can make the shared table grow past its bound.
 */
class SharedHeaderStringsTest {

    private final SharedHeaderStrings strings = new SharedHeaderStrings();

    @Test
    void twoUpgradesShareTheirNamesAndRepeatingValuesButNotTheirKeys() {
        MultiMap first = upgrade("key-one", "10.0.0.1");
        MultiMap second = upgrade("key-two", "10.0.0.2");
        String firstKey = first.get("Sec-WebSocket-Key");
        String firstClient = first.get("X-Forwarded-For");

        strings.share(first);
        strings.share(second);

        for (String name : List.of("host", "upgrade", "connection", "sec-websocket-version", "x-forwarded-proto")) {
            assertSame(first.get(name), second.get(name), "the value of " + name);
            assertSame(name(first, name), name(second, name), "the name " + name);
            assertEquals(name, name(first, name), "lower-cased, as websockets-next keys it");
        }
        assertSame(firstKey, first.get("sec-websocket-key"), "the handshake's key stays the upgrade's own");
        assertSame(firstClient, first.get("x-forwarded-for"), "a per-client value stays the upgrade's own");
        assertEquals("key-two", second.get("sec-websocket-key"));
    }

    @Test
    void everyHeaderKeepsItsValueAndPlaceAndAnUnknownNamePassesThroughAsItCame() {
        MultiMap headers = upgrade("key", "10.0.0.1");
        String custom = new String("X-Trace-Tag");
        headers.add(custom, "a");
        headers.add("X-Forwarded-For", "10.0.0.9");
        List<String> before = lines(headers);

        strings.share(headers);

        assertEquals(before, lines(headers));
        assertSame(custom, name(headers, "X-Trace-Tag"));
        assertEquals(List.of("10.0.0.1", "10.0.0.9"), headers.getAll("x-forwarded-for"));
    }

    @Test
    void hostsPastTheBoundPassThroughAndTheTableStopsGrowing() {
        MultiMap early = upgrade("key", "10.0.0.1");
        early.set("Host", new String("host-0"));
        strings.share(early);
        for (int i = 1; i < SharedHeaderStrings.VALUE_CAPACITY * 2; i++) {
            MultiMap headers = upgrade("key", "10.0.0.1");
            headers.set("Host", "host-" + i);
            strings.share(headers);
        }
        assertTrue(strings.valuesKept() <= SharedHeaderStrings.VALUE_CAPACITY, "values kept: " + strings.valuesKept());

        MultiMap late = upgrade("key", "10.0.0.1");
        String newHost = new String("host-late");
        late.set("Host", newHost);
        MultiMap again = upgrade("key", "10.0.0.1");
        again.set("Host", new String("host-0"));
        strings.share(late);
        strings.share(again);
        assertSame(newHost, late.get("host"), "past the bound a value passes through");
        assertSame(early.get("host"), again.get("host"), "what was shared before the bound still is");
    }

    /** An upgrade as an HTTP decoder hands it over: a fresh string for every name and value. */
    private static MultiMap upgrade(String key, String client) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        headers.add(new String("Host"), new String("chat.example:8080"));
        headers.add(new String("Upgrade"), new String("websocket"));
        headers.add(new String("Connection"), new String("Upgrade"));
        headers.add(new String("Sec-WebSocket-Key"), new String(key));
        headers.add(new String("Sec-WebSocket-Version"), new String("13"));
        headers.add(new String("X-Forwarded-Proto"), new String("https"));
        headers.add(new String("X-Forwarded-For"), new String(client));
        return headers;
    }

    private static String name(MultiMap headers, String name) {
        return headers.entries().stream().map(Map.Entry::getKey).filter(name::equalsIgnoreCase).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + headers));
    }

    /** Each header as name=value in order, names compared regardless of case as HTTP does. */
    private static List<String> lines(MultiMap headers) {
        return headers.entries().stream().map(e -> e.getKey().toLowerCase(Locale.ROOT) + "=" + e.getValue()).toList();
    }
}
