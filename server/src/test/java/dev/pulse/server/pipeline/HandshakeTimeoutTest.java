package dev.pulse.server.pipeline;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RawWebSocket;
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

    @Test
    void connectionsBeyondTheHttpPhaseLimitAreClosedAtOnce() throws Exception {
        server.start(b -> b.maxHttpConnections(3).handshakeTimeout(Duration.ofSeconds(30)));
        List<RawHttp> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                idle.add(new RawHttp(server.port()));
            }
            // The server counts a connection once it has accepted it: wait until the three are counted.
            long deadline = System.nanoTime() + 10_000_000_000L;
            RawHttp refused = null;
            while (System.nanoTime() < deadline) {
                RawHttp extra = new RawHttp(server.port());
                extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                if (extra.isClosedByServer()) {
                    refused = extra;
                    break;
                }
                extra.close();
            }
            assertTrue(refused != null, "a fourth connection in the HTTP phase was served");
            refused.close();
            assertTrue(java.util.regex.Pattern.compile("pulse_handshake_failures_total\\{reason=\"http_full\"} [1-9]")
                    .matcher(server.server().metrics().scrape()).find(), "counted as http_full");
            // Upgrading leaves the HTTP phase: its place is free again.
            idle.remove(0).close();
            try (RawWebSocket ws = openWhenAdmitted()) {
                assertTrue(ws != null);
            }
        } finally {
            for (RawHttp http : idle) {
                http.close();
            }
        }
    }

    private RawWebSocket openWhenAdmitted() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                return RawWebSocket.open(server.port(), "/echo");
            } catch (java.io.IOException | AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }
}
