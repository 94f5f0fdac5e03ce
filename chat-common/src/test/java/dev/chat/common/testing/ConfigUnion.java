package dev.chat.common.testing;

import java.util.HashMap;
import java.util.Map;

/** Several test classes' configuration overrides as one test profile's: each profile costs a build and a start. */
public final class ConfigUnion {

    private ConfigUnion() {
    }

    /** Every key of every map; two maps that set the same key differently fail here, before any test runs. */
    @SafeVarargs
    public static Map<String, String> of(Map<String, String>... overrides) {
        Map<String, String> union = new HashMap<>();
        for (Map<String, String> override : overrides) {
            override.forEach((key, value) -> {
                String other = union.putIfAbsent(key, value);
                if (other != null && !other.equals(value)) {
                    throw new IllegalStateException(key + " is " + other + " for one class and " + value + " for another");
                }
            });
        }
        return union;
    }
}
