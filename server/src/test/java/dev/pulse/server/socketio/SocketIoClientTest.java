package dev.pulse.server.socketio;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code socket.io-client} 4.x from Node against Pulse, written as a tutorial's client
 * would be ({@code server/src/test/node/socketio_clients.js}): both transports, acks, events, rooms,
 * binary attachments, the JWT in {@code auth}, and a reconnect after the server restarts.
 */
class SocketIoClientTest {

    private static final Path NODE = Path.of(System.getProperty("basedir", "."), "src", "test", "node");
    private static final String SECRET = "socket.io-test-secret-0123456789abcdef";

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void requireClient() throws Exception {
        ExternalClient.require("Node's socket.io-client package", "cd server/src/test/node && npm install --no-package-lock",
                "node", NODE.resolve("probe.js").toString());
    }

    private String run(String scenario, String... arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("node", NODE.resolve("socketio_clients.js").toString(),
                scenario, "http://127.0.0.1:" + server.port()));
        command.addAll(List.of(arguments));
        ExternalClient.Result result = ExternalClient.run(60, command.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK " + scenario), result.output());
        System.out.print(result.output());
        return result.output();
    }

    private void startServer() throws Exception {
        server.start(b -> b.messageRate(10_000).messageBurst(10_000));
    }

    @Test
    void pollingThenWebSocketJoinsPublishesWithAcksAndReceivesMessagesAsEvents() throws Exception {
        startServer();
        assertTrue(run("chat", "polling").contains("transport websocket"), "upgraded from polling");
    }

    @Test
    void webSocketOnlyJoinsPublishesWithAcksAndReceivesMessagesAsEvents() throws Exception {
        startServer();
        run("chat", "websocket");
    }

    /** With permessage-deflate agreed, packets go through the WebSocket's pipeline, to be compressed there. */
    @Test
    void webSocketOnlyWithCompressionAgreed() throws Exception {
        server.start(b -> b.messageRate(10_000).messageBurst(10_000).deflate(true).deflateThreshold(16));
        run("chat", "websocket");
    }

    @Test
    void customEventsGoToTheSendersRoomsWithBinaryAttachmentsOrToTheSocketsInNoRoomFromNoRoom() throws Exception {
        startServer();
        run("relay");
    }

    @Test
    void aSocketUpgradingWhileMessagesStreamGetsEachOnceInOrder() throws Exception {
        startServer();
        run("upgrade");
    }

    @Test
    void theJwtGoesInAuthAndABadOneIsAConnectError() throws Exception {
        server.start(b -> b.jwtSecret(SECRET));
        String good = JWT.create().withSubject("alice").withExpiresAt(Instant.now().plusSeconds(600))
                .sign(Algorithm.HMAC256(SECRET));
        String bad = JWT.create().withSubject("mallory").sign(Algorithm.HMAC256(SECRET + "-not"));
        assertTrue(run("jwt", good, bad).contains("admitted as alice"));
    }

    @Test
    void theClientReconnectsOnItsOwnAfterTheServerRestarts() throws Exception {
        startServer();
        int port = server.port();
        Process client = new ProcessBuilder("node", NODE.resolve("socketio_clients.js").toString(), "reconnect",
                "http://127.0.0.1:" + port).redirectErrorStream(true).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            String first = output.readLine();
            assertEquals("READY", first, "the client's first connection and join");
            server.stop();
            server.start(b -> b.port(port));
            String last = output.readLine();
            assertTrue(client.waitFor(30, TimeUnit.SECONDS), "the client finished");
            assertEquals(0, client.exitValue(), last);
            assertTrue(last != null && last.startsWith("OK reconnect"), last);
            System.out.println(last);
        } finally {
            client.destroyForcibly();
        }
    }
}
