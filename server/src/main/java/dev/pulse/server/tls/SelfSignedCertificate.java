package dev.pulse.server.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes a throwaway EC certificate for {@code localhost} with the {@code keytool} of the running
 * Java, which every JDK and JRE ships: no certificate library in the jar for a development aid.
 */
final class SelfSignedCertificate {

    static final String ALIAS = "pulse";
    static final char[] PASSWORD = "pulse-self-signed".toCharArray();

    private SelfSignedCertificate() {
    }

    static KeyStore create() throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IOException("--tls-self-signed needs " + keytool + "; give --tls-cert and --tls-key instead");
        }
        Path dir = Files.createTempDirectory("pulse-tls");
        Path store = dir.resolve("self-signed.p12");
        try {
            Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                    "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-validity", "30",
                    "-dname", "CN=localhost, O=Pulse self-signed", "-ext", "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
                    "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD),
                    "-keypass", new String(PASSWORD), "-noprompt"))
                    .redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool could not make a certificate: " + output.strip());
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, PASSWORD);
            }
            return keyStore;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making a certificate", e);
        } catch (GeneralSecurityException e) {
            throw new IOException("the self-signed certificate cannot be read: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }
}
