package dev.pulse.server.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.TestServer;
import dev.pulse.testing.RawFrameBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine.IO 4 and Socket.IO 5 on {@code /socket.io/}, spoken by hand (the JDK's HTTP client and a
 * raw WebSocket) where the order of steps must be exact: the upgrade mid-stream, the refusals,
 * CORS, malformed packets, the ping timeout, the other namespaces, and the HTTP API and direct
 * messages reaching a socket.io socket.
 */
class EngineIoTransportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API_KEY = "socket-io-test-api-key-0123456789";

    @RegisterExtension
    final TestServer server = new TestServer();

    private final HttpClient http = HttpClient.newHttpClient();

    private void start() throws Exception {
        server.start(b -> b.messageRate(100_000).messageBurst(100_000).apiKey(API_KEY));
    }

    /** The seqs of the {@code message} events among {@code packets}. */
    private static void collectSeqs(List<String> packets, List<Long> seqs) throws Exception {
        for (String packet : packets) {
            if (packet.startsWith("42[\"message\"")) {
                seqs.add(JSON.readTree(packet.substring(2)).get(1).get("seq").asLong());
            }
        }
    }

    private static void publish(JsonClient publisher, int count, int from) throws Exception {
        for (int i = 0; i < count; i++) {
            publisher.send("type", "publish", "channel", "stream", "text", "m" + (from + i), "ref", "p" + (from + i));
            while (!"ack".equals(publisher.next().path("type").asText())) {
                // its own messages and the reader's presence come too
            }
        }
    }

    @Test
    void aPollingSessionThatUpgradesMidStreamLosesNothingAndGetsNothingTwice() throws Exception {
        start();
        try (JsonClient publisher = JsonClient.connect(server)) {
            publisher.join("stream", "publisher");
            PollingClient reader = new PollingClient(server.port());
            reader.connect();
            reader.send("42[\"join\",{\"channel\":\"stream\",\"name\":\"reader\"}]");
            reader.pollUntil("42[\"joined\"");
            List<Long> seqs = new ArrayList<>();

            publish(publisher, 100, 0);
            while (seqs.size() < 100) {
                collectSeqs(reader.poll(), seqs);
            }
            int overPolling = seqs.size();

            try (RawWebSocket ws = RawWebSocket.open(server.port(),
                    EngineIoServer.PATH + "?EIO=4&transport=websocket&sid=" + reader.sid())) {
                ws.send(RawFrameBuilder.frame(WebSocketOpcode.TEXT).payload("2probe"));
                assertEquals("3probe", new String(ws.read().payload(), StandardCharsets.UTF_8));
                publish(publisher, 100, 100);
                // The client pauses polling: its last GET brings what queued meanwhile (or a noop).
                collectSeqs(reader.poll(), seqs);
                int beforeUpgrade = seqs.size();
                publish(publisher, 50, 200);
                ws.send(RawFrameBuilder.frame(WebSocketOpcode.TEXT).payload("5"));
                publish(publisher, 50, 250);
                while (seqs.size() < 300) {
                    RawWebSocket.Frame frame = ws.read();
                    assertEquals(WebSocketOpcode.TEXT, frame.opcode());
                    collectSeqs(List.of(new String(frame.payload(), StandardCharsets.UTF_8)), seqs);
                }
                for (int i = 1; i < seqs.size(); i++) {
                    assertEquals(seqs.get(0) + i, seqs.get(i), "seqs in order, no gap, no repeat: " + seqs);
                }
                assertTrue(overPolling == 100 && beforeUpgrade < 300, "some over each transport");
                System.out.printf("upgrade mid-stream: 300 of 300 in order, %d over polling, %d after the upgrade%n",
                        beforeUpgrade, 300 - beforeUpgrade);
                // Polling is over for this session, which carries on over its WebSocket.
                assertEquals(400, reader.get("transport=polling&sid=" + reader.sid()).statusCode());
                publish(publisher, 1, 300);
                collectSeqs(List.of(new String(ws.read().payload(), StandardCharsets.UTF_8)), seqs);
                assertEquals(301, seqs.size());
            }
        }
    }

    @Test
    void refusalsAreTheReferenceServersCodes() throws Exception {
        start();
        PollingClient client = new PollingClient(server.port());
        assertRefusal(client.uri("transport=polling").toString().replace("EIO=4", "EIO=3"), 400, 5);
        assertRefusal(client.uri("transport=carrier-pigeon").toString(), 400, 0);
        assertRefusal(client.uri("transport=polling&sid=no-such-session").toString(), 400, 1);
        assertRefusal(client.uri("transport=websocket").toString(), 400, 3);
        HttpResponse<String> postWithoutSid = http.send(HttpRequest.newBuilder(client.uri("transport=polling"))
                .POST(HttpRequest.BodyPublishers.ofString("40")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, postWithoutSid.statusCode());
        assertEquals(2, JSON.readTree(postWithoutSid.body()).get("code").asInt());
    }

    private void assertRefusal(String uri, int status, int code) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(java.net.URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        assertEquals(code, JSON.readTree(response.body()).get("code").asInt(), response.body());
    }

    @Test
    void malformedPacketsEndTheSessionCleanly() throws Exception {
        start();
        for (String bad : new String[] {"x", "4", "42[", "4{\"no\":\"array\"}", "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\u001e40"}) {
            PollingClient client = new PollingClient(server.port());
            client.connect();
            HttpResponse<String> response = client.post(bad);
            // A body that is not Engine.IO is refused at once; a Socket.IO packet that breaks its rules closes the session.
            assertTrue(response.statusCode() == 400 || response.statusCode() == 200, bad + ": " + response.statusCode());
            assertEquals(400, client.get("transport=polling&sid=" + client.sid()).statusCode(), bad + " left the session open");
        }
        try (RawWebSocket ws = RawWebSocket.open(server.port(), EngineIoServer.PATH + "?EIO=4&transport=websocket")) {
            assertTrue(new String(ws.read().payload(), StandardCharsets.UTF_8).startsWith("0{\"sid\""));
            ws.send(RawFrameBuilder.frame(WebSocketOpcode.TEXT).payload("9 not a packet"));
            RawWebSocket.Frame close = ws.read();
            assertEquals(WebSocketOpcode.CLOSE, close.opcode());
            assertEquals(1002, close.closeCode());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.server().sessions().sessionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, server.server().sessions().sessionCount(), "every session ended");
    }

    @Test
    void corsAnswersFollowTheOriginAllowList() throws Exception {
        server.start(b -> b.allowedOrigins(List.of("https://chat.example")));
        PollingClient client = new PollingClient(server.port());
        HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(client.uri("transport=polling"))
                .header("Origin", "https://chat.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, allowed.statusCode());
        assertEquals("https://chat.example", allowed.headers().firstValue("access-control-allow-origin").orElse(""));
        assertEquals("true", allowed.headers().firstValue("access-control-allow-credentials").orElse(""));
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(client.uri("transport=polling"))
                .header("Origin", "https://evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, refused.statusCode());
        assertEquals(4, JSON.readTree(refused.body()).get("code").asInt());
        assertTrue(refused.headers().firstValue("access-control-allow-origin").isEmpty());
        HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(client.uri("transport=polling"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://chat.example").header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, preflight.statusCode());
        assertEquals("GET, POST", preflight.headers().firstValue("access-control-allow-methods").orElse(""));
        assertEquals("content-type", preflight.headers().firstValue("access-control-allow-headers").orElse(""));
    }

    @Test
    void aClientThatVanishesLeavesPresenceAfterThePingTimeout() throws Exception {
        server.start(b -> b.pingInterval(Duration.ofMillis(300)).pingTimeout(Duration.ofMillis(600)));
        try (JsonClient observer = JsonClient.connect(server)) {
            observer.join("lobby", "observer");
            PollingClient ghost = new PollingClient(server.port());
            String id = ghost.connect();
            ghost.send("42[\"join\",{\"channel\":\"lobby\",\"name\":\"ghost\"}]");
            JsonNode joined = observer.next("presence");
            assertEquals("join", joined.get("event").asText());
            assertEquals(id, joined.get("id").asText());
            // The ghost never polls again, so it never answers a ping.
            long start = System.nanoTime();
            JsonNode left = observer.next("presence");
            assertEquals("leave", left.get("event").asText());
            assertEquals(id, left.get("id").asText());
            System.out.printf("presence leave %d ms after the last request (--ping-timeout 600 ms)%n",
                    (System.nanoTime() - start) / 1_000_000);
        }
    }

    /**
     * The codec's own answers (here CONNECT_ERROR for another namespace, thousands in one body)
     * are held to --max-queued-bytes like every answer: a client that never polls is closed, not
     * queued for without end.
     */
    @Test
    void aClientThatNeverPollsIsClosedAtTheQueueBound() throws Exception {
        server.start(b -> b.maxQueuedBytes(64 * 1024));
        PollingClient client = new PollingClient(server.port());
        client.open();
        // 6,000 packets of 9 bytes fit one 64 KiB body; their 6,000 answers of ~40 bytes would not fit the queue.
        client.send(String.join(String.valueOf(EngineIoPacket.SEPARATOR), java.util.Collections.nCopies(6000, "40/admin,")));
        assertEquals(400, client.get("transport=polling&sid=" + client.sid()).statusCode(), "the session was closed");
    }

    @Test
    void otherNamespacesGetConnectError() throws Exception {
        start();
        PollingClient client = new PollingClient(server.port());
        client.open();
        client.send("40/admin,");
        assertEquals("44/admin,{\"message\":\"Invalid namespace\"}", client.poll().get(0));
    }

    @Test
    void theHttpApiAndDirectMessagesReachASocketIoSocket() throws Exception {
        start();
        PollingClient socket = new PollingClient(server.port());
        String id = socket.connect();
        socket.send("421[\"join\",{\"channel\":\"news\",\"name\":\"sio\"}]");
        String ack = socket.pollUntil("431[");
        assertEquals("joined", JSON.readTree(ack.substring(3)).get(0).get("type").asText());

        HttpResponse<String> published = http.send(HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/api/publish"))
                .header("Authorization", "Bearer " + API_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"news\",\"data\":{\"price\":42}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, published.statusCode(), published.body());
        JsonNode message = JSON.readTree(socket.pollUntil("42[\"message\"").substring(2));
        assertEquals(42, message.get(1).get("data").get("price").asInt());
        assertEquals("server", message.get(1).get("from").asText());

        try (JsonClient sender = JsonClient.connect(server)) {
            sender.send("type", "direct", "to", id, "text", "psst", "ref", "d1");
            sender.next("ack");
            JsonNode direct = JSON.readTree(socket.pollUntil("42[\"direct\"").substring(2));
            assertEquals("psst", direct.get(1).get("text").asText());
            assertEquals(sender.id(), direct.get(1).get("from").asText());
        }
    }
}
