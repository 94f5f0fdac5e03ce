package dev.chat.common.config;

import io.smallrye.config.common.AbstractConfigSource;
import java.util.Map;
import java.util.Set;

/**
 * A configuration source of one property whose value is worked out each time it is read, so at run time (also in a
 * native image, whose build runs static initialization) from the environment the process runs in.
 */
public abstract class ComputedProperty extends AbstractConfigSource {

    private final String property;

    protected ComputedProperty(String name, String property, int ordinal) {
        super(name, ordinal);
        this.property = property;
    }

    /** The property's value now. */
    protected abstract String value();

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(property);
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(property, value());
    }

    @Override
    public String getValue(String propertyName) {
        return property.equals(propertyName) ? value() : null;
    }
}
