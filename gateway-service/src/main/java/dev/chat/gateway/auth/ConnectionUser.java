package dev.chat.gateway.auth;

import io.quarkus.security.credential.Credential;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import java.security.Permission;
import java.security.Principal;
import java.util.Map;
import java.util.Set;

/**
 * The identity a WebSocket upgrade proves: the user, the token's roles and the token's expiry (epoch milliseconds),
 * and nothing else. It lives from authentication until the endpoint's {@code @OnOpen} takes the user and the expiry
 * ({@code connection.UpgradeIdentity}), a connect storm's worth of them at once, so it is one object where Quarkus's
 * general-purpose identity spends five collections and a principal. It is its own principal, and it carries no
 * credential, attribute or permission, so every permission check is refused.
 */
public record ConnectionUser(String user, Set<String> roles, long expiresAt) implements SecurityIdentity, Principal {

    @Override
    public String getName() {
        return user;
    }

    @Override
    public Principal getPrincipal() {
        return this;
    }

    @Override
    public boolean isAnonymous() {
        return false;
    }

    @Override
    public Set<String> getRoles() {
        return roles;
    }

    @Override
    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    @Override
    public Set<Permission> getPermissions() {
        return Set.of();
    }

    @Override
    public <T extends Credential> T getCredential(Class<T> type) {
        return null;
    }

    @Override
    public Set<Credential> getCredentials() {
        return Set.of();
    }

    @Override
    public <T> T getAttribute(String name) {
        return null;
    }

    @Override
    public Map<String, Object> getAttributes() {
        return Map.of();
    }

    @Override
    public Uni<Boolean> checkPermission(Permission permission) {
        return Uni.createFrom().item(false);
    }
}
