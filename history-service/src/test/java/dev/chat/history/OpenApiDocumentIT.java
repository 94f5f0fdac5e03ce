package dev.chat.history;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** {@link OpenApiDocumentTest} against the packaged artifact: the jar, or the native executable with -Pnative (.ci/native). */
@QuarkusIntegrationTest
@WithTestResource(ManagementPort.class)
class OpenApiDocumentIT extends OpenApiDocumentTest {
}
