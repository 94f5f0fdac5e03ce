package dev.chat.common.config;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * A configuration source of one property whose value is worked out each time it is read, so at run time (also in a
 * native image, whose build runs static initialization) from the environment the process runs in.
 */
public abstract class ComputedProperty implements ConfigSource {

    private final String name;
    private final String property;
    private final int ordinal;

    protected ComputedProperty(String name, String property, int ordinal) {
        this.name = name;
        this.property = property;
        this.ordinal = ordinal;
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

    @Override
    public int getOrdinal() {
        return ordinal;
    }

    @Override
    public String getName() {
        return name;
    }
}
