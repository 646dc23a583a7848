package dev.pulse.server.socketio;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.Who;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket.io door under the one authorization model: the token at CONNECT, the rules at every join and relay. */
class SocketIoAuthorizationTest {

    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";

    @RegisterExtension
    final TestServer server = new TestServer();

    private static String token(String subject) {
        return JWT.create().withSubject(subject).withExpiresAt(Instant.now().plusSeconds(60)).sign(Algorithm.HMAC256(SECRET));
    }

    private PollingClient connected(String subject) throws Exception {
        PollingClient client = new PollingClient(server.port());
        client.open();
        client.send("40{\"token\":\"" + token(subject) + "\"}");
        String answer = client.pollUntil("40");
        assertTrue(answer.contains("\"sid\""), answer);
        return client;
    }

    @Test
    void aConnectWithoutATokenIsRefusedOnceTheServerHasASecret() throws Exception {
        server.start(b -> b.jwtSecret(SECRET));
        PollingClient anonymous = new PollingClient(server.port());
        anonymous.open();
        anonymous.send("40");
        String answer = anonymous.pollUntil("44");
        assertTrue(answer.contains("a token is required"), answer);
    }

    @Test
    void theBackendsConnectEndpointMayRefuseASocketWithConnectError() throws Exception {
        com.sun.net.httpserver.HttpServer backend = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/connect", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] out = "{\"error\":{\"message\":\"log in first\"}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        backend.start();
        try {
            java.net.URI url = java.net.URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/connect");
            server.start(b -> b.proxy(new dev.pulse.server.proxy.ProxyConfig(Map.of("connect", url),
                    java.time.Duration.ofSeconds(2), null, 16, false)));
            PollingClient client = new PollingClient(server.port());
            client.open();
            client.send("40");
            String answer = client.pollUntil("44");
            assertTrue(answer.contains("log in first"), answer);
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void joinsAndRelayedEventsObeyTheChannelsRules() throws Exception {
        server.start(b -> b.jwtSecret(SECRET).namespaces(List.of(
                new Namespace("alice-only", Map.of(Right.JOIN, Who.GRANT), false, null),
                new Namespace("readers-*", Map.of(Right.PUBLISH, Who.NOBODY), false, null))));
        PollingClient mallory = connected("mallory");
        mallory.send("420[\"join\",\"alice-only\"]");
        String refused = mallory.pollUntil("430");
        assertTrue(refused.contains("\"code\":\"forbidden\""), refused);

        mallory.send("421[\"join\",\"readers-1\"]");
        String joined = mallory.pollUntil("431");
        assertTrue(joined.contains("\"type\":\"joined\""), joined);
        // A custom event would be relayed to readers-1, where no client may publish: refused at the sender.
        mallory.send("422[\"chat\",\"hello\"]");
        String relay = mallory.pollUntil("432");
        assertTrue(relay.contains("forbidden") && relay.contains("published by the server only"), relay);
    }
}
