package dev.pulse.server.tls;

import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestCertificates;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigInteger;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The port over TLS: https and wss with a certificate from files, rotation, refusals, the self-signed mode. */
class TlsTest {

    private static final TestCertificates CERTIFICATES = new TestCertificates();
    private static final Path NODE = Path.of(System.getProperty("basedir", "."), "src", "test", "node");

    @RegisterExtension
    final TestServer server = new TestServer();

    private void start(TestCertificates.Server files) throws InterruptedException {
        server.start(b -> b.tlsCert(files.cert().toString()).tlsKey(files.key().toString())
                .tlsReloadInterval(Duration.ofMillis(100)));
    }

    private HttpClient https() {
        return HttpClient.newBuilder().sslContext(CERTIFICATES.clientContext()).version(HttpClient.Version.HTTP_1_1).build();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return https().send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The serial number of the certificate the server presents to a new connection. */
    private BigInteger servedSerial() throws Exception {
        SSLContext context = CERTIFICATES.clientContext();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void httpsAndWssServeWithTheCertificateFromFiles() throws Exception {
        start(CERTIFICATES.issue("files"));
        HttpResponse<String> health = get("/health");
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("\"tls\":{\"provider\":"), health.body());
        RecordingListener listener = new RecordingListener();
        WebSocket ws = https().newWebSocketBuilder()
                .buildAsync(URI.create("wss://localhost:" + server.port() + "/echo"), listener).get(10, TimeUnit.SECONDS);
        ws.sendText("over TLS", true).get(5, TimeUnit.SECONDS);
        assertEquals("over TLS", listener.next(RecordingListener.Text.class).text());
        ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("pulse_tls_certificate_expiry_seconds"), "the certificate's expiry is a gauge");
    }

    @Test
    void tls12And13AreSpokenAndNothingOlderIsEnabled() throws Exception {
        TestCertificates.Server files = CERTIFICATES.issue("versions");
        start(files);
        for (String version : new String[] {"TLSv1.3", "TLSv1.2"}) {
            try (SSLSocket socket = handshakeWith(version)) {
                assertEquals(version, socket.getSession().getProtocol());
            }
        }
        // The JDK's own client refuses TLS 1.1 before the server could: ask the server's engine what it enables.
        TlsContext tls = TlsContext.fromFiles(files.cert(), files.key(), Duration.ofSeconds(5));
        io.netty.handler.ssl.SslHandler handler = tls.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT);
        try {
            java.util.Set<String> enabled = new java.util.HashSet<>(java.util.List.of(handler.engine().getEnabledProtocols()));
            // SSLv2Hello names a ClientHello format OpenSSL's engine accepts, not a protocol it speaks.
            enabled.remove("SSLv2Hello");
            assertEquals(java.util.Set.of("TLSv1.2", "TLSv1.3"), enabled);
        } finally {
            io.netty.util.ReferenceCountUtil.release(handler.engine());
        }
    }

    private SSLSocket handshakeWith(String version) throws Exception {
        SSLSocket socket = (SSLSocket) CERTIFICATES.clientContext().getSocketFactory().createSocket("127.0.0.1", server.port());
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(new String[] {version});
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    private static javax.net.ssl.TrustManager[] trustAll() {
        return new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }};
    }

    /** A certificate manager replaces the files: new connections get the new certificate, open ones stay up. */
    @Test
    void aReplacedCertificateServesNewConnectionsWhileOpenOnesStayUp() throws Exception {
        TestCertificates.Server first = CERTIFICATES.issue("rotating");
        start(first);
        assertEquals(first.certificate().getSerialNumber(), servedSerial());
        RecordingListener listener = new RecordingListener();
        WebSocket open = https().newWebSocketBuilder()
                .buildAsync(URI.create("wss://localhost:" + server.port() + "/echo"), listener).get(10, TimeUnit.SECONDS);

        TestCertificates.Server second = CERTIFICATES.issue("renewed");
        TestCertificates.replace(first.key(), second.key());
        TestCertificates.replace(first.cert(), second.cert());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!servedSerial().equals(second.certificate().getSerialNumber())) {
            assertTrue(System.nanoTime() < deadline, "the new certificate was never served");
            Thread.sleep(50);
        }
        open.sendText("still here", true).get(5, TimeUnit.SECONDS);
        assertEquals("still here", listener.next(RecordingListener.Text.class).text());
        open.sendClose(1000, "").get(5, TimeUnit.SECONDS);
    }

    @Test
    void plainHttpOnTheTlsPortIsAFailedTlsHandshakeCountedAndClosed() throws Exception {
        start(CERTIFICATES.issue("plain"));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // The server answers with a TLS alert, at most, then closes.
            while (socket.getInputStream().read() >= 0) {
                // drain until the server closes
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        Pattern counted = Pattern.compile("pulse_handshake_failures_total\\{reason=\"tls\"} ([0-9.]+)");
        while (true) {
            Matcher m = counted.matcher(get("/metrics").body());
            if (m.find() && Double.parseDouble(m.group(1)) >= 1) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "the failed handshake was counted under reason=tls");
            Thread.sleep(20);
        }
    }

    @Test
    void selfSignedModeServesHttpsWithACertificateForLocalhost() throws Exception {
        server.start(b -> b.tlsSelfSigned(true));
        SSLContext trusting = SSLContext.getInstance("TLS");
        trusting.init(null, trustAll(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(trusting).build();
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + server.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("Pulse self-signed"), health.body());
    }

    @Test
    void pythonWebsocketsOverWssTrustingTheTestCa() throws Exception {
        ExternalClient.require("Python's websockets", "apt-get install python3-websockets",
                "/usr/bin/python3", "-c", "import websockets");
        start(CERTIFICATES.issue("python"));
        ExternalClient.Result result = ExternalClient.run(60, "/usr/bin/python3",
                ExternalClient.resource("/interop/python_wss_client.py"), "wss://localhost:" + server.port() + "/echo",
                CERTIFICATES.caFile().toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK python wss"), result.output());
    }

    @Test
    void nodeWsOverWssTrustingTheTestCa() throws Exception {
        ExternalClient.require("Node's ws package", "cd server/src/test/node && npm install --no-package-lock",
                "node", NODE.resolve("probe.js").toString());
        start(CERTIFICATES.issue("node"));
        ExternalClient.Result result = ExternalClient.run(60, "node", NODE.resolve("ws_wss_client.js").toString(),
                "wss://localhost:" + server.port() + "/echo", CERTIFICATES.caFile().toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK node ws wss"), result.output());
    }
}
