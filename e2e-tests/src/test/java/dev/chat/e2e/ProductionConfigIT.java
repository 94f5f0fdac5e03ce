package dev.chat.e2e;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The production profile refuses to start unsafely: without a token verification key, or with the
 * development login switched on. Real processes, as an orchestrator would start them.
 */
class ProductionConfigIT {

    static final RedisCli REDIS = RedisCli.shared();

    @Test
    void aProductionGatewayWithoutAPublicKeyRefusesToStart() throws Exception {
        ServiceProcess gateway = ServiceProcess.gateway("prod-nokey-" + id(), REDIS.url()).with("QUARKUS_PROFILE", "prod");
        try {
            assertThrows(IllegalStateException.class, gateway::start, "it must exit, not become ready");
            assertTrue(log(gateway).contains("No token verification key"), "says why");
        } finally {
            gateway.stop();
        }
    }

    @Test
    void aProductionGatewayWithTheDevelopmentLoginRefusesToStart() throws Exception {
        ServiceProcess gateway = ServiceProcess.gateway("prod-devlogin-" + id(), REDIS.url())
                .with("QUARKUS_PROFILE", "prod")
                .with("MP_JWT_VERIFY_PUBLICKEY", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB")
                .with("CHAT_DEV_LOGIN_ENABLED", "true");
        try {
            assertThrows(IllegalStateException.class, gateway::start);
            assertTrue(log(gateway).contains("dev-login"), "says why");
        } finally {
            gateway.stop();
        }
    }

    @Test
    void aProductionHistoryServiceWithoutAPublicKeyRefusesToStart() {
        ServiceProcess history = ServiceProcess.history("prod-history-" + id(), REDIS.url(), RedisCli.sharedDatabase()).with("QUARKUS_PROFILE", "prod");
        try {
            assertThrows(IllegalStateException.class, history::start);
        } finally {
            history.stop();
        }
    }

    private static String id() {
        return UUID.randomUUID().toString().substring(0, 6);
    }

    private static String log(ServiceProcess service) throws Exception {
        return Files.readString(ServiceProcess.ROOT.resolve("e2e-tests/target/e2e-logs").resolve(service.name + ".log"));
    }
}
