package dev.pulse.server.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HS256 tokens on {@code /ws}: 401 without a good one, the subject as name, 4001 at expiry. */
class TokenAuthenticationTest {

    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.jwtSecret(SECRET));
    }

    private static String token(String subject, Instant expiresAt, String secret) {
        return JWT.create().withSubject(subject).withExpiresAt(expiresAt).sign(Algorithm.HMAC256(secret));
    }

    private RawHttp.Response handshake(String query, String authorization) throws Exception {
        return RawHttp.exchange(server.port(), "GET /ws" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "\r\n");
    }

    @Test
    void missingTokenIs401WithAChallenge() throws Exception {
        RawHttp.Response response = handshake("", null);
        assertEquals(401, response.status());
        assertTrue(response.header("www-authenticate").startsWith("Bearer"), response.toString());
    }

    @Test
    void badSignatureExpiredOrSubjectlessTokensAre401() throws Exception {
        Instant later = Instant.now().plusSeconds(60);
        assertEquals(401, handshake("?token=" + token("ann", later, SECRET + "x"), null).status());
        RawHttp.Response expired = handshake("?token=" + token("ann", Instant.now().minusSeconds(60), SECRET), null);
        assertEquals(401, expired.status());
        assertEquals("token expired", expired.body().trim(), "no claim names or exact times from the JWT library");
        RawHttp.Response forged = handshake("?token=" + token("ann", later, SECRET + "x"), null);
        assertEquals("invalid token", forged.body().trim());
        assertEquals(401, handshake("?token=not.a.jwt", null).status());
        String noSubject = JWT.create().withExpiresAt(later).sign(Algorithm.HMAC256(SECRET));
        assertEquals(401, handshake("", "Bearer " + noSubject).status());
    }

    @Test
    void echoNeedsNoToken() throws Exception {
        WebSocket ws = server.connect("/echo", new RecordingListener());
        ws.abort();
    }

    @Test
    void validTokenInTheQueryAdmitsAndItsSubjectIsTheName() throws Exception {
        RecordingListener listener = new RecordingListener();
        HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws?token="
                        + token("alice", Instant.now().plusSeconds(60), SECRET)), listener)
                .get(10, TimeUnit.SECONDS);
        JsonNode welcome = JSON.readTree(listener.next(RecordingListener.Text.class).text());
        assertEquals("welcome", welcome.get("type").asText());
    }

    @Test
    void validBearerTokenAdmitsAndTheSubjectOverridesTheJoinName() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + token("alice", Instant.now().plusSeconds(60), SECRET))
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws"), listener)
                .get(10, TimeUnit.SECONDS);
        listener.next(RecordingListener.Text.class); // welcome
        ws.sendText("{\"type\":\"join\",\"channel\":\"auth\",\"name\":\"mallory\"}", true).get(5, TimeUnit.SECONDS);
        JsonNode joined = JSON.readTree(listener.next(RecordingListener.Text.class).text());
        assertEquals("alice", joined.get("members").get(0).get("name").asText());
    }

    @Test
    void expiryDuringTheConnectionClosesWith4001() throws Exception {
        RecordingListener listener = new RecordingListener();
        HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws?token="
                        + token("brief", Instant.now().plusSeconds(2), SECRET)), listener)
                .get(10, TimeUnit.SECONDS);
        listener.next(RecordingListener.Text.class); // welcome
        assertEquals(4001, listener.next(RecordingListener.Close.class).code());
    }
}
