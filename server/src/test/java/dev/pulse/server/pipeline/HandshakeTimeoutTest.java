package dev.pulse.server.pipeline;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connection that does not complete its handshake within the handshake timeout is dropped; one
 * that keeps sending requests is dropped at the end of the HTTP lifetime; connections in the HTTP
 * phase are bounded in number.
 */
class HandshakeTimeoutTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void silentConnectionIsDropped() throws Exception {
        server.start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawHttp http = new RawHttp(server.port())) {
            // Blocks until the server closes; the socket's own 20 s read timeout bounds the wait.
            assertTrue(http.isClosedByServer());
        }
    }

    @Test
    void handshakeTrickledTooSlowlyIsDropped() throws Exception {
        server.start(b -> b.handshakeTimeout(Duration.ofMillis(300)));
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            assertTrue(http.isClosedByServer());
        }
    }

    @Test
    void idleKeepAliveConnectionIsDroppedAfterItsRequest() throws Exception {
        server.start(b -> b.handshakeTimeout(Duration.ofMillis(300)));
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, http.read().status());
            assertTrue(http.isClosedByServer());
        }
    }

    /** Each answered request used to restart the timer, so a client could hold a connection for ever. */
    @Test
    void keepAliveRequestsCannotHoldAConnectionPastTheHttpLifetime() throws Exception {
        server.start(b -> b.handshakeTimeout(Duration.ofSeconds(5)).httpLifetime(Duration.ofMillis(500)));
        try (RawHttp http = new RawHttp(server.port())) {
            long deadline = System.nanoTime() + 20_000_000_000L;
            String connection = null;
            int answered = 0;
            while (System.nanoTime() < deadline) {
                http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                RawHttp.Response response = http.read();
                assertEquals(200, response.status());
                answered++;
                connection = response.header("connection");
                if ("close".equals(connection)) {
                    break;
                }
            }
            assertEquals("close", connection, "answered " + answered + " requests and still kept alive");
            assertTrue(http.isClosedByServer());
        }
    }

    /**
     * At the limit the server stops accepting: a further connection waits in the kernel's backlog,
     * neither served nor refused, and is served as soon as one of the others leaves the HTTP phase.
     */
    @Test
    void atTheHttpPhaseLimitANewConnectionWaitsUntilOneLeaves() throws Exception {
        server.start(b -> b.maxHttpConnections(3).handshakeTimeout(Duration.ofSeconds(30)));
        List<RawHttp> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                idle.add(new RawHttp(server.port()));
            }
            // Four connected: the kernel completed them, but only three of them have been accepted.
            for (RawHttp http : idle) {
                http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            List<RawHttp> served = new ArrayList<>();
            List<RawHttp> held = new ArrayList<>();
            for (RawHttp http : idle) {
                http.socket().setSoTimeout(1_000);
                try {
                    assertEquals(200, http.read().status());
                    served.add(http);
                } catch (java.net.SocketTimeoutException e) {
                    held.add(http);
                }
            }
            assertEquals(3, served.size(), "three in the HTTP phase at once");
            assertEquals(1, held.size(), "one waits, neither answered nor closed");
            assertTrue(!java.util.regex.Pattern.compile("pulse_handshake_failures_total\\{reason=\"http_full\"} [1-9]")
                    .matcher(server.server().metrics().scrape()).find(), "nothing refused");
            // Closing leaves the HTTP phase (as upgrading does): its place goes to the one waiting.
            served.get(0).close();
            held.get(0).socket().setSoTimeout(20_000);
            assertEquals(200, held.get(0).read().status());
        } finally {
            for (RawHttp http : idle) {
                http.close();
            }
        }
    }
}
