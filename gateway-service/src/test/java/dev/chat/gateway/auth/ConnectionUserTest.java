package dev.chat.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.security.StringPermission;
import io.quarkus.security.credential.PasswordCredential;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The identity an open connection keeps: who, which roles, until when; nothing that could grant more. */
class ConnectionUserTest {

    private final ConnectionUser alice = new ConnectionUser("alice", Set.of("member"), 1_700_000_000_000L);

    @Test
    void itIsAnAuthenticatedIdentityNamedAfterItsUser() {
        assertFalse(alice.isAnonymous());
        assertSame(alice, alice.getPrincipal());
        assertEquals("alice", alice.getPrincipal().getName());
    }

    @Test
    void itKeepsTheTokensRolesAndExpiry() {
        assertEquals(Set.of("member"), alice.getRoles());
        assertTrue(alice.hasRole("member"));
        assertFalse(alice.hasRole("chat-service"));
        assertEquals(1_700_000_000_000L, alice.expiresAt());
    }

    @Test
    void itCarriesNoCredentialAttributeOrPermission() {
        assertTrue(alice.getCredentials().isEmpty());
        assertNull(alice.getCredential(PasswordCredential.class));
        assertTrue(alice.getAttributes().isEmpty());
        assertNull(alice.getAttribute("anything"));
        assertTrue(alice.getPermissions().isEmpty());
        assertFalse(alice.checkPermission(new StringPermission("rooms", "read")).await().indefinitely());
        assertFalse(alice.checkPermissionBlocking("rooms"));
    }
}
