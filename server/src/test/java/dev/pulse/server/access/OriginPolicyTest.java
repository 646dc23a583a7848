package dev.pulse.server.access;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The origin allow-list: 403 for an origin not allowed; same origin, listed origins and non-browser clients pass. */
class OriginPolicyTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    private int handshake(String origin) throws Exception {
        String request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
        return RawHttp.exchange(server.port(), request).status();
    }

    @Test
    void foreignOriginIs403AndTheServersOwnOriginPasses() throws Exception {
        server.start();
        assertEquals(403, handshake("https://evil.example"));
        assertEquals(101, handshake("http://127.0.0.1:" + server.port()));
        assertEquals(101, handshake(null), "non-browser clients send no Origin");
    }

    @Test
    void wildcardEntriesAllowMatchingOrigins() throws Exception {
        server.start(b -> b.allowedOrigins(List.of("https://*.example.com", "http://localhost:3000")));
        assertEquals(101, handshake("https://app.example.com"));
        assertEquals(101, handshake("HTTPS://App.Example.com"));
        assertEquals(101, handshake("http://localhost:3000"));
        assertEquals(403, handshake("https://example.com.evil.net"));
        assertEquals(403, handshake("http://localhost:3001"));
    }

    @Test
    void missingOriginCanBeRefused() throws Exception {
        server.start(b -> b.allowMissingOrigin(false));
        assertEquals(403, handshake(null));
    }

    @Test
    void unitRulesForSameOrigin() {
        OriginPolicy policy = new OriginPolicy(List.of(), true);
        assertEquals(true, policy.allows("https://pulse.example", "pulse.example"));
        assertEquals(true, policy.allows("https://pulse.example", "pulse.example:443"));
        assertEquals(true, policy.allows("http://pulse.example:8080", "pulse.example:8080"));
        assertEquals(false, policy.allows("http://pulse.example:8081", "pulse.example:8080"));
        assertEquals(false, policy.allows("null", "pulse.example"));
        assertEquals(true, new OriginPolicy(List.of("*"), true).allows("https://anything.example", "pulse.example"));
    }
}
