package dev.chat.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway private CA and a Redis server certificate it signed (made with openssl), plus a JVM
 * trust store holding only that CA: what an operator has when Redis runs TLS with its own CA.
 */
record TestCertificates(Path ca, Path serverCert, Path serverKey, Path trustStore, String trustStorePassword) {

    /** Creates them in {@code dir}; the server certificate is valid for 127.0.0.1 (subjectAltName). */
    static TestCertificates create(Path dir) {
        Path caKey = dir.resolve("ca.key");
        Path ca = dir.resolve("ca.crt");
        Path serverKey = dir.resolve("redis.key");
        Path csr = dir.resolve("redis.csr");
        Path serverCert = dir.resolve("redis.crt");
        Path extensions = dir.resolve("redis.ext");
        try {
            Files.writeString(extensions, "subjectAltName=IP:127.0.0.1\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "1", "-subj", "/CN=chat e2e test CA");
        openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", serverKey.toString(), "-out", csr.toString(), "-subj", "/CN=127.0.0.1");
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                "-out", serverCert.toString(), "-days", "1", "-extfile", extensions.toString());
        String password = "trust-" + Long.toHexString(System.nanoTime());
        Path trustStore = dir.resolve("truststore.p12");
        writeTrustStore(ca, trustStore, password);
        return new TestCertificates(ca, serverCert, serverKey, trustStore, password);
    }

    /** The JVM options that make every TLS connection of the JVM trust this CA (and only it). */
    List<String> trustStoreOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=" + trustStorePassword,
                "-Djavax.net.ssl.trustStoreType=PKCS12");
    }

    private static void writeTrustStore(Path ca, Path trustStore, String password) {
        try (InputStream in = Files.newInputStream(ca); OutputStream out = Files.newOutputStream(trustStore)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("chat-e2e-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            store.store(out, password.toCharArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void openssl(Path dir, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
