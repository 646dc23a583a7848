package dev.pulse.server.access;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who may do what, on real sockets: the transcripts of issue 21 refused, tokens with and without
 * grants, subscription tokens and their expiry, refresh, the server's own channels, every door.
 */
class AuthorizationTest {

    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
    private static final String API_KEY = "an-api-key-for-the-tests";

    /** {@code alice-only} and {@code private-*} by grant, {@code public-*} open to anonymous sessions, {@code monitor-*} server-only. */
    private static final List<Namespace> NAMESPACES = List.of(
            new Namespace("alice-only", Map.of(Right.JOIN, Who.GRANT, Right.PUBLISH, Who.GRANT,
                    Right.PRESENCE, Who.GRANT, Right.HISTORY, Who.GRANT), false, null),
            new Namespace("private-*", Map.of(Right.JOIN, Who.GRANT, Right.PUBLISH, Who.GRANT,
                    Right.PRESENCE, Who.GRANT, Right.HISTORY, Who.GRANT), false, null),
            new Namespace("public-*", Map.of(), true, null),
            new Namespace("monitor-*", Map.of(Right.PUBLISH, Who.NOBODY), false, null));

    @RegisterExtension
    final TestServer server = new TestServer();

    private void start(UnaryOperator<ServerConfig.Builder> more) throws InterruptedException {
        server.start(b -> more.apply(b.jwtSecret(SECRET).apiKey(API_KEY).tcpPort(0)));
    }

    private static JWTCreator.Builder claims(String subject) {
        return JWT.create().withSubject(subject).withExpiresAt(Instant.now().plusSeconds(60));
    }

    private static String token(String subject) {
        return claims(subject).sign(Algorithm.HMAC256(SECRET));
    }

    private static String subscription(String subject, String channel, Instant expiresAt) {
        return JWT.create().withSubject(subject).withClaim("channel", channel).withExpiresAt(expiresAt)
                .sign(Algorithm.HMAC256(SECRET));
    }

    private RawHttp.Response upgrade(String path) throws Exception {
        return RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n");
    }

    private HttpResponse<String> api(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + API_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(JsonClient client, String raw) throws Exception {
        client.sendRaw(raw);
        return client.next("error");
    }

    // ---- the transcripts of the issue ----

    @Test
    void withASecretARelayRoomAdmitsNoClientWithoutAToken() throws Exception {
        server.start(b -> b.jwtSecret(SECRET).apiKey(API_KEY));
        assertEquals(401, upgrade("/rooms/build-42").status(), "relay rooms take tokens as /ws does");
        assertEquals(401, upgrade("/ws").status());
        RecordingListener member = new RecordingListener();
        server.connect("/rooms/build-42?token=" + token("ann"), member);
        assertEquals(200, api("/api/rooms/build-42", "{\"text\":\"deploy secret\"}").statusCode());
        assertEquals("deploy secret", member.next(RecordingListener.Text.class).text(), "a token admits, as before");
    }

    @Test
    void anAnonymousSessionComesInOnlyWhereANamespaceSaysAnonymous() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        RecordingListener outsider = new RecordingListener();
        server.connect("/rooms/build-42", outsider);
        RecordingListener.Close close = outsider.next(RecordingListener.Close.class);
        assertEquals(CLOSE_FORBIDDEN, close.code());
        assertTrue(close.reason().contains("a token is required"), close.reason());

        RecordingListener visitor = new RecordingListener();
        server.connect("/rooms/public-lobby", visitor);
        assertEquals(200, api("/api/rooms/public-lobby", "{\"text\":\"hello\"}").statusCode());
        assertEquals("hello", visitor.next(RecordingListener.Text.class).text());

        try (JsonClient anonymous = JsonClient.connect(server)) {
            anonymous.join("public-chat", "guest");
            JsonNode refused = error(anonymous, "{\"type\":\"join\",\"channel\":\"build-42\"}");
            assertEquals("forbidden", refused.get("code").asText());
            assertEquals("a token is required to join build-42", refused.get("message").asText());
        }
    }

    private static final int CLOSE_FORBIDDEN = 4006;

    @Test
    void aTokenWithoutAGrantCannotJoinReadPublishInAPrivateChannelNorSendDirect() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        String aliceToken = claims("alice").withClaim("channels", List.of("alice-only")).sign(Algorithm.HMAC256(SECRET));
        try (JsonClient alice = JsonClient.connect(server, aliceToken);
             JsonClient mallory = JsonClient.connect(server, token("mallory"))) {
            alice.join("alice-only", null);
            alice.send("type", "publish", "channel", "alice-only", "text", "my diary", "ref", "a1");
            alice.next("message");
            alice.next("ack");

            JsonNode join = error(mallory, "{\"type\":\"join\",\"channel\":\"alice-only\",\"since\":0}");
            assertEquals("forbidden", join.get("code").asText());
            assertEquals("your token does not grant join in alice-only", join.get("message").asText());
            assertEquals("not_joined", error(mallory, "{\"type\":\"publish\",\"channel\":\"alice-only\",\"text\":\"x\"}")
                    .get("code").asText());
            JsonNode logs = error(mallory, "{\"type\":\"join\",\"channel\":\"$logs\"}");
            assertEquals("only an admin may join $logs", logs.get("message").asText());
            JsonNode direct = error(mallory, "{\"type\":\"direct\",\"to\":\"" + alice.id() + "\",\"text\":\"hi\"}");
            assertEquals("forbidden", direct.get("code").asText(), "with a secret, direct needs \"direct\": true");
            // mallory may still do what the default namespace gives any token.
            mallory.join("lobby", null);
            assertNull(alice.listener().poll(300), "alice heard nothing from mallory");
        }
    }

    @Test
    void grantsInTheTokenNarrowWhatItMayDoAndWhatItSees() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        assertEquals(200, api("/api/publish", "{\"channel\":\"build-1\",\"text\":\"compiled\"}").statusCode());
        String reader = claims("reader").withClaim("channels", Map.of("build-*", List.of("join"))).sign(Algorithm.HMAC256(SECRET));
        try (JsonClient full = JsonClient.connect(server, token("full"));
             JsonClient narrow = JsonClient.connect(server, reader)) {
            JsonNode fullJoin = full.join("build-1", null);
            assertEquals(1, fullJoin.get("history").size(), "a token without channels restricts nothing: " + fullJoin);
            full.send("type", "join", "channel", "build-1", "since", 0);
            full.next("joined");

            narrow.send("type", "join", "channel", "build-1", "since", 0);
            JsonNode joined = narrow.next("joined");
            assertEquals(0, joined.get("history").size(), "no history right: no history " + joined);
            assertEquals(0, joined.get("members").size(), "no presence right: no member list " + joined);
            assertEquals("forbidden", error(narrow, "{\"type\":\"publish\",\"channel\":\"build-1\",\"text\":\"x\"}")
                    .get("code").asText());
            assertEquals("your token does not grant join in lobby",
                    error(narrow, "{\"type\":\"join\",\"channel\":\"lobby\"}").get("message").asText(),
                    "a token that lists its channels grants no others");
            // full's presence events reach full, not narrow.
            try (JsonClient third = JsonClient.connect(server, token("third"))) {
                third.join("build-1", null);
                assertEquals("presence", full.next("presence").get("type").asText());
                full.send("type", "publish", "channel", "build-1", "text", "after");
                assertEquals("after", narrow.next("message").get("text").asText(),
                        "the message, not third's presence event, is narrow's next");
            }
        }
    }

    @Test
    void theServersChannelsAreForAdminsTheApiKeyNamesOneAndNobodyPublishesThere() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        try (JsonClient admin = JsonClient.connect(server, API_KEY);
             JsonClient adminByClaim = JsonClient.connect(server, claims("root").withClaim("admin", true)
                     .sign(Algorithm.HMAC256(SECRET)));
             JsonClient user = JsonClient.connect(server, token("user"))) {
            admin.join("$logs", null);
            adminByClaim.join("$metrics", null);
            assertEquals("forbidden", error(user, "{\"type\":\"join\",\"channel\":\"$metrics\"}").get("code").asText());
            assertEquals("read_only_channel", error(admin, "{\"type\":\"publish\",\"channel\":\"$logs\",\"text\":\"x\"}")
                    .get("code").asText());
            user.join("monitor-cpu", null);
            assertEquals("read_only_channel", error(user, "{\"type\":\"publish\",\"channel\":\"monitor-cpu\",\"text\":\"x\"}")
                    .get("code").asText(), "a namespace with publish: nobody is the server's to publish");
            assertEquals(200, api("/api/publish", "{\"channel\":\"monitor-cpu\",\"text\":\"42%\"}").statusCode());
            assertEquals("42%", user.next("message").get("text").asText());
        }
    }

    @Test
    void logsCarryNoSecretAndAddressesOnlyToAdmins() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        try (JsonClient admin = JsonClient.connect(server, API_KEY)) {
            admin.join("$logs", null);
            LoggerFactory.getLogger("dev.pulse.test").warn("connecting to redis://:hunter2@10.1.2.3:6379 with token="
                    + token("x") + " and key " + API_KEY + " from /10.9.8.7:5555");
            JsonNode data;
            do {
                data = admin.next("message").get("data");
            } while (!data.get("message").asText().startsWith("connecting to"));
            String line = data.get("message").asText();
            assertFalse(line.contains("hunter2") || line.contains("eyJ") || line.contains(API_KEY), line);
            assertTrue(line.contains("10.9.8.7:5555"), "$logs is for admins here: addresses stay " + line);
        }
    }

    // ---- subscription tokens and refresh ----

    @Test
    void aSubscriptionTokenGrantsOneChannelToOneUserUntilItExpires() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        try (JsonClient alice = JsonClient.connect(server, token("alice"))) {
            assertEquals("your token does not grant join in private-7",
                    error(alice, "{\"type\":\"join\",\"channel\":\"private-7\"}").get("message").asText());
            String bobs = subscription("bob", "private-7", Instant.now().plusSeconds(60));
            assertEquals("the subscription token is for another user",
                    error(alice, "{\"type\":\"join\",\"channel\":\"private-7\",\"token\":\"" + bobs + "\"}")
                            .get("message").asText());
            String other = subscription("alice", "private-8", Instant.now().plusSeconds(60));
            assertEquals("the subscription token is not for private-7",
                    error(alice, "{\"type\":\"join\",\"channel\":\"private-7\",\"token\":\"" + other + "\"}")
                            .get("message").asText());
            assertEquals("a subscription token is not a connection token", upgrade("/ws?token="
                    + subscription("alice", "private-7", Instant.now().plusSeconds(60))).body().trim());

            alice.send("type", "join", "channel", "private-7", "token",
                    subscription("alice", "private-7", Instant.now().plusSeconds(2)));
            alice.next("joined");
            alice.send("type", "publish", "channel", "private-7", "text", "in", "ref", "p1");
            alice.next("message");
            alice.next("ack");
            JsonNode left = alice.next("left");
            assertEquals("private-7", left.get("channel").asText());
            assertEquals("subscription_expired", left.get("reason").asText());
            assertEquals("not_joined", error(alice, "{\"type\":\"publish\",\"channel\":\"private-7\",\"text\":\"x\"}")
                    .get("code").asText());
            // A new subscription token joins again (the refresh of a subscription).
            alice.send("type", "join", "channel", "private-7", "token",
                    subscription("alice", "private-7", Instant.now().plusSeconds(60)));
            alice.next("joined");
        }
    }

    @Test
    void aConnectionTokenIsRefreshedBeforeItExpiresAndOnlyForTheSameUser() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        String brief = JWT.create().withSubject("carol").withExpiresAt(Instant.now().plusSeconds(2))
                .sign(Algorithm.HMAC256(SECRET));
        try (JsonClient carol = JsonClient.connect(server, brief)) {
            assertEquals("the token names another user",
                    error(carol, "{\"type\":\"refresh\",\"token\":\"" + token("dave") + "\"}").get("message").asText());
            carol.send("type", "refresh", "token", token("carol"), "ref", "r1");
            JsonNode refreshed = carol.next("refreshed");
            assertTrue(refreshed.get("expiresAt").asLong() > System.currentTimeMillis() + 30_000, refreshed.toString());
            assertNull(carol.listener().poll(2_500), "nothing, no Close 4001, at the old token's expiry");
            carol.send("type", "ping", "ref", "still");
            assertEquals("still", carol.next("pong").get("ref").asText(), "not closed at the old token's expiry");
        }
    }

    @Test
    void aRefreshWhoseTokenNoLongerGrantsAChannelLeavesIt() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        String both = claims("erin").withClaim("channels", List.of("team-a", "team-b")).sign(Algorithm.HMAC256(SECRET));
        String onlyA = claims("erin").withClaim("channels", List.of("team-a")).sign(Algorithm.HMAC256(SECRET));
        try (JsonClient erin = JsonClient.connect(server, both)) {
            erin.join("team-a", null);
            erin.join("team-b", null);
            erin.send("type", "refresh", "token", onlyA);
            JsonNode left = erin.next("left");
            assertEquals("team-b", left.get("channel").asText());
            assertEquals("forbidden", left.get("reason").asText());
            erin.next("refreshed");
        }
    }

    // ---- the line door ----

    @Test
    void theLineDoorAsksForATokenAndObeysTheSameRules() throws Exception {
        server.start(b -> b.jwtSecret(SECRET).tcpPort(0).namespaces(NAMESPACES.subList(0, 1)));
        try (Socket socket = new Socket("127.0.0.1", server.server().tcpPort())) {
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            in.readLine();
            assertTrue(in.readLine().startsWith("* /auth TOKEN first"));
            out.write(("/join lobby\n/auth " + token("mallory") + "\n/join alice-only\n/join lobby\nhello\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertTrue(in.readLine().startsWith("! error unauthorized"));
            assertEquals("* authenticated as mallory", in.readLine());
            assertEquals("! error forbidden: your token does not grant join in alice-only", in.readLine());
            assertTrue(in.readLine().startsWith("* joined lobby"));
        }
    }

    @Test
    void withNoAuthenticationEverythingStaysOpenAsTheTutorialsExpect() throws Exception {
        server.start(b -> b);
        try (JsonClient guest = JsonClient.connect(server)) {
            guest.join("$logs", null);
            guest.join("anything", "guest");
            guest.send("type", "direct", "to", guest.id(), "text", "me", "ref", "d");
            guest.next("direct");
        }
        assertEquals(101, upgrade("/rooms/any").status());
    }

    @Test
    void aDirectGrantLetsATokenSendDirect() throws Exception {
        start(b -> b.namespaces(NAMESPACES));
        String sender = claims("sender").withClaim("direct", true).sign(Algorithm.HMAC256(SECRET));
        try (JsonClient to = JsonClient.connect(server, token("to"));
             JsonClient from = JsonClient.connect(server, sender)) {
            from.send("type", "direct", "to", to.id(), "text", "psst", "ref", "d1");
            assertEquals("psst", to.next("direct").get("text").asText());
        }
    }
}
