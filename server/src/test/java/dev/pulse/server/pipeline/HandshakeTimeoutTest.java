package dev.pulse.server.pipeline;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A connection that does not complete its handshake within the handshake timeout is dropped. */
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
}
