package dev.chat.gateway;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * {@link HealthTest} against the packaged artifact: the fast-jar on an ordinary build, the native
 * executable after {@code ./mvnw verify -Pnative}. Started with the test profile (root pom, failsafe).
 */
@QuarkusIntegrationTest
@WithTestResource(ManagementPort.class)
class HealthIT extends HealthTest {
}
