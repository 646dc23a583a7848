package dev.pulse.server.access;

import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void theServersOwnOriginMustHaveItsSchemeAndHostAndPort() {
        OriginPolicy policy = new OriginPolicy(List.of(), true, List.of(), "http");
        assertTrue(policy.allows("http://pulse.example", "pulse.example"));
        assertTrue(policy.allows("http://pulse.example", "pulse.example:80"));
        assertTrue(policy.allows("http://pulse.example:8080", "pulse.example:8080"));
        assertFalse(policy.allows("https://pulse.example", "pulse.example"), "the scheme counts");
        assertFalse(policy.allows("https://pulse.example:8080", "pulse.example:8080"), "the scheme counts");
        assertFalse(policy.allows("http://pulse.example:8081", "pulse.example:8080"));
        assertFalse(policy.allows("null", "pulse.example"));
        assertFalse(policy.allows("http://pulse.example/", "pulse.example"), "an origin has no path");
        assertTrue(new OriginPolicy(List.of(), true, List.of(), "https").allows("https://pulse.example", "pulse.example:443"));
        assertTrue(new OriginPolicy(List.of("*"), true, List.of(), "http").allows("https://anything.example", "pulse.example"));
    }

    /** A page on a name the attacker controls, resolving to this server, sends its own name as Host. */
    @Test
    void publicOriginsPinTheServersOwnAndHostIsNoLongerTrusted() {
        OriginPolicy trustsHost = new OriginPolicy(List.of(), true, List.of(), "http");
        assertTrue(trustsHost.allows("http://evil.com", "evil.com"), "documented: without --public-origin, Host is trusted");
        OriginPolicy pinned = new OriginPolicy(List.of(), true, List.of("https://chat.example.com"), "http");
        assertFalse(pinned.allows("http://evil.com", "evil.com"));
        assertTrue(pinned.allows("https://chat.example.com", "pulse-backend:8080"), "behind a TLS-ending proxy");
        assertTrue(pinned.allows("https://chat.example.com:443", "anything"));
        assertFalse(pinned.allows("http://chat.example.com", "chat.example.com"));
    }

    @Test
    void aWildcardMatchesWholeHostLabelsOnly() {
        OriginPolicy policy = new OriginPolicy(List.of("https://*.example.com"), true, List.of(), "http");
        assertTrue(policy.allows("https://app.example.com", null));
        assertTrue(policy.allows("https://a.b.example.com", null));
        assertTrue(policy.allows("https://app.example.com:443", null));
        for (String evil : List.of("https://evil.com#.example.com", "https://evil.com/.example.com",
                "https://evil.com?.example.com", "https://evil.com:443.example.com", "https://user@app.example.com",
                "https://evil.com\\.example.com", "https://example.com", "https://.example.com", "https://xexample.com",
                "http://app.example.com", "https://app.example.com:8443", "https://app.example.com.evil.net")) {
            assertFalse(policy.allows(evil, null), evil);
        }
        OriginPolicy anyPort = new OriginPolicy(List.of("http://localhost:*"), true, List.of(), "http");
        assertTrue(anyPort.allows("http://localhost:5173", null));
        assertTrue(anyPort.allows("http://localhost", null));
        assertFalse(anyPort.allows("http://localhost.evil.net:5173", null));
    }

    @Test
    void entriesThatAreNotOriginsAreRefusedAtStartUp() {
        for (String bad : List.of("example.com", "https://*example.com", "https://example.com/app", "https://ex*.com",
                "https://example.com:http")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new OriginPolicy(List.of(bad), true, List.of(), "http"), bad);
            assertTrue(e.getMessage().contains("scheme://host[:port]"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().allowedOrigins(List.of("*.example.com")));
    }
}
