package dev.pulse.server.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.TestServer;
import dev.pulse.testing.RawFrameBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The socket.io door attacked as one anonymous client would (issue 20's findings 1-7 and 11):
 * each shape is bounded by the one session core's limits, and nobody else pays for it.
 */
class SocketIoAbuseTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SEP = String.valueOf(EngineIoPacket.SEPARATOR);

    @RegisterExtension
    final TestServer server = new TestServer();

    private final HttpClient http = HttpClient.newHttpClient();

    /** Whether the session is gone: a poll of it is refused. */
    private static boolean ended(PollingClient client) throws Exception {
        return client.get("transport=polling&sid=" + client.sid()).statusCode() != 200;
    }

    /** Polls for {@code millis} (the server pings often, so polls return), answering pings; the packets seen. */
    private static List<String> pollFor(PollingClient client, long millis) throws Exception {
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = client.get("transport=polling&sid=" + client.sid());
            if (response.statusCode() != 200) {
                seen.add("HTTP " + response.statusCode());
                return seen;
            }
            for (String packet : response.body().split(SEP)) {
                if (packet.equals("2")) {
                    client.send("3");
                } else {
                    seen.add(packet);
                }
            }
        }
        return seen;
    }

    private int healthConnections() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(health.body()).get("connections").asInt();
    }

    /** Finding 1: Engine.IO pongs are answers like any other, within the session's one queue bound. */
    @Test
    void pingsThatAreNeverPolledForEndTheSessionAtTheQueueBound() throws Exception {
        int bound = 64 * 1024;
        server.start(b -> b.maxQueuedBytes(bound).messageRate(1e9).messageBurst(1_000_000_000));
        PollingClient client = new PollingClient(server.port());
        client.open();
        String ping = "2" + "x".repeat(8 * 1024);
        String body = String.join(SEP, ping, ping, ping, ping, ping, ping, ping);
        int accepted = 0;
        for (int i = 0; i < 200; i++) {
            if (client.post(body).statusCode() != 200) {
                break;
            }
            accepted++;
        }
        System.out.printf("[socket.io, unpolled pings] %d bodies of 56 KiB of pings accepted before the session ended%n",
                accepted);
        assertTrue(accepted < 200, "200 bodies of pings (12.8 MB of pongs) were queued for a session that never polls");
        assertTrue(ended(client), "the session ended at its queue bound");
    }

    /** Finding 2: an upgrade WebSocket that probes without end is held to the session's rate. */
    @Test
    void endlessProbesCountAgainstTheRateAndEndTheSession() throws Exception {
        server.start(b -> b.messageRate(50).messageBurst(100));
        PollingClient client = new PollingClient(server.port());
        client.open();
        try (RawWebSocket ws = RawWebSocket.open(server.port(),
                EngineIoServer.PATH + "?EIO=4&transport=websocket&sid=" + client.sid())) {
            AtomicBoolean closed = new AtomicBoolean();
            Thread reader = new Thread(() -> {
                try {
                    while (ws.read().opcode() != 8) {
                        // 3probe, and the Close at the end
                    }
                } catch (Exception ignored) {
                    // the end of the stream
                }
                closed.set(true);
            });
            reader.setDaemon(true);
            reader.start();
            int sent = 0;
            try {
                for (; sent < 5_000 && !closed.get(); sent++) {
                    ws.send(RawFrameBuilder.frame(WebSocketOpcode.TEXT).payload("2probe"));
                }
            } catch (java.io.IOException e) {
                // closed while sending
            }
            reader.join(10_000);
            System.out.printf("[socket.io, endless probes] closed after %d probes%n", sent);
            assertTrue(closed.get(), "5,000 probes in a row were all answered");
        }
        assertTrue(ended(client), "the session ended with its probing WebSocket");
    }

    /** Finding 3: one WebSocket per session, each holding a connection slot. */
    @Test
    void aSessionTakesOneWebSocketAndEachHoldsASlot() throws Exception {
        server.start(b -> b.maxConnectionsPerIp(2).maxConnections(10));
        PollingClient client = new PollingClient(server.port());
        client.open();
        int upgraded = 0;
        List<RawHttp> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawHttp raw = new RawHttp(server.port());
                sockets.add(raw);
                raw.send("GET " + EngineIoServer.PATH + "?EIO=4&transport=websocket&sid=" + client.sid() + " HTTP/1.1\r\n"
                        + "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
                if (raw.read().status() == 101) {
                    upgraded++;
                }
            }
            assertEquals(1, upgraded, "WebSockets admitted for one session");
            assertTrue(healthConnections() <= 2, "slots held: the session's and its WebSocket's");
        } finally {
            for (RawHttp raw : sockets) {
                raw.close();
            }
        }
    }

    /** Finding 4: opening sessions costs a client no connection, so they are bounded per connection and per address. */
    @Test
    void pollingSessionsAreBoundedPerConnectionAndPerAddress() throws Exception {
        server.start(b -> b.maxPollingSessionsPerIp(6));
        String open = "GET " + EngineIoServer.PATH + "?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        int opened = 0;
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send(open.repeat(12));
            for (int i = 0; i < 12; i++) {
                if (raw.read().status() == 200) {
                    opened++;
                }
            }
        }
        assertEquals(4, opened, "sessions opened on one keep-alive connection");
        int more = 0;
        for (int i = 0; i < 6; i++) {
            if (RawHttp.exchange(server.port(), open).status() == 200) {
                more++;
            }
        }
        assertEquals(2, more, "sessions one address may open past the first four, at 6 per address");
        assertEquals(6, healthConnections(), "/health counts polling sessions");
        var ws = server.connect("/echo", new dev.pulse.server.support.RecordingListener());
        assertFalse(ws.isOutputClosed(), "a WebSocket is still admitted");
        ws.abort();
    }

    /** Finding 5: events the clients' parser refuses never leave the sender, which is closed as by the reference server. */
    @Test
    void reservedNamesAndBadPlaceholdersAreRefusedAtTheSender() throws Exception {
        server.start(b -> b.pingInterval(Duration.ofMillis(300)).pingTimeout(Duration.ofMillis(5_000)));
        PollingClient receiver = new PollingClient(server.port());
        receiver.connect();
        for (String bad : List.of("42[\"disconnect\",\"x\"]", "451-[\"f\",{\"_placeholder\":true,\"num\":5}]" + SEP + "bAQID")) {
            PollingClient sender = new PollingClient(server.port());
            sender.connect();
            sender.post(bad);
            assertTrue(ended(sender), "the sender of " + bad + " is closed");
        }
        PollingClient honest = new PollingClient(server.port());
        honest.connect();
        honest.send("42[\"chat\",\"hello\"]");
        List<String> seen = pollFor(receiver, 1_500);
        assertTrue(seen.contains("42[\"chat\",\"hello\"]"), "the honest event arrives: " + seen);
        for (String packet : seen) {
            assertFalse(packet.contains("disconnect") || packet.contains("_placeholder"), "relayed: " + packet);
        }
    }

    /** Finding 5 and 6: a socket in no channel reaches only sockets in no channel, never a channel's members. */
    @Test
    void aSocketInNoChannelNeverReachesTheMembersOfAChannel() throws Exception {
        server.start(b -> b.pingInterval(Duration.ofMillis(300)).pingTimeout(Duration.ofMillis(5_000)));
        PollingClient member = new PollingClient(server.port());
        member.connect();
        member.send("42[\"join\",\"ops\"]");
        member.pollUntil("42[\"joined\"");
        PollingClient bystander = new PollingClient(server.port());
        bystander.connect();
        PollingClient sender = new PollingClient(server.port());
        sender.connect();
        sender.send("42[\"chat\",\"to nobody in particular\"]");
        assertTrue(pollFor(bystander, 1_000).contains("42[\"chat\",\"to nobody in particular\"]"));
        for (String packet : pollFor(member, 1_000)) {
            assertFalse(packet.contains("nobody in particular"), "a channel member got " + packet);
        }
    }

    /** Finding 6: one sender's burst is held to --relay-byte-rate: a receiver reading at full speed keeps up. */
    @Test
    void aBurstOfLargeEventsIsHeldToTheRelayRateAndDropsNobody() throws Exception {
        server.start(b -> b.pingInterval(Duration.ofMillis(300)).pingTimeout(Duration.ofMillis(5_000)));
        PollingClient sender = new PollingClient(server.port());
        sender.connect();
        List<PollingClient> receivers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            PollingClient receiver = new PollingClient(server.port());
            receiver.connect();
            receiver.send("42[\"join\",\"room\"]");
            receiver.pollUntil("42[\"joined\"");
            receivers.add(receiver);
        }
        sender.send("42[\"join\",\"room\"]");
        sender.pollUntil("42[\"joined\"");
        AtomicInteger dropped = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        List<Thread> readers = new ArrayList<>();
        for (PollingClient receiver : receivers) {
            Thread reader = new Thread(() -> {
                try {
                    for (String packet : pollFor(receiver, 3_000)) {
                        if (packet.startsWith("HTTP") || packet.equals("1")) {
                            dropped.incrementAndGet();
                        } else if (packet.startsWith("42[\"big\"")) {
                            received.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    dropped.incrementAndGet();
                }
            });
            reader.start();
            readers.add(reader);
        }
        String event = "42[\"big\",\"" + "y".repeat(60 * 1024) + "\"]";
        int refusals = 0;
        for (int i = 0; i < 150; i++) {
            sender.send(event);
        }
        for (String packet : pollFor(sender, 500)) {
            if (packet.contains("rate_limited")) {
                refusals++;
            }
        }
        for (Thread reader : readers) {
            reader.join(10_000);
        }
        System.out.printf("[socket.io, 150 x 60 KB burst] %d relayed to 5 receivers, %d refused as rate_limited%n",
                received.get(), refusals);
        assertEquals(0, dropped.get(), "receivers disconnected by one sender's burst");
        assertTrue(refusals > 0, "the sender was told it went past the relay rate");
    }

    /** Finding 7: an event is admitted whole or refused whole, at the size its receivers would get. */
    @Test
    void anEventLargerThanARelayMayCarryIsRefusedWhole() throws Exception {
        server.start(b -> b.pingInterval(Duration.ofMillis(300)).pingTimeout(Duration.ofMillis(5_000)));
        PollingClient sender = new PollingClient(server.port());
        sender.connect();
        sender.send("42[\"join\",\"files\"]");
        sender.pollUntil("42[\"joined\"");
        PollingClient receiver = new PollingClient(server.port());
        receiver.connect();
        receiver.send("42[\"join\",\"files\"]");
        receiver.pollUntil("42[\"joined\"");
        StringBuilder event = new StringBuilder("4510-7[\"files\"");
        for (int i = 0; i < 10; i++) {
            event.append(",{\"_placeholder\":true,\"num\":").append(i).append('}');
        }
        event.append(']');
        // Each attachment in a body of its own, as a client within --ws-max-message-size per body sends them.
        sender.send(event.toString());
        String attachment = "b" + Base64.getEncoder().encodeToString(new byte[45 * 1024]);
        for (int i = 0; i < 10; i++) {
            sender.send(attachment);
        }
        String error = sender.pollUntil("43");
        assertTrue(error.contains("too_long"), "the sender's ack carries the refusal: " + error);
        List<String> seen = pollFor(receiver, 1_000);
        for (String packet : seen) {
            assertFalse(packet.startsWith("45") || packet.startsWith("b") || packet.startsWith("HTTP") || packet.equals("1"),
                    "the receiver got part of it, or was dropped: " + packet.substring(0, Math.min(40, packet.length())));
        }
    }

    /** Finding 11: what holds a slot is what /health counts, every door. */
    @Test
    void healthCountsEverySlotHolderByKind() throws Exception {
        server.start(b -> b.maxConnections(5).tcpPort(0));
        for (int i = 0; i < 3; i++) {
            new PollingClient(server.port()).open();
        }
        List<java.net.Socket> lines = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                java.net.Socket line = new java.net.Socket("127.0.0.1", server.server().tcpPort());
                lines.add(line);
                line.setSoTimeout(5_000);
                new java.io.BufferedReader(new java.io.InputStreamReader(line.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
            }
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode report = JSON.readTree(health.body());
            assertEquals(5, report.get("connections").asInt(), health.body());
            assertEquals(3, report.get("connectionsByKind").get("polling").asInt(), health.body());
            assertEquals(2, report.get("connectionsByKind").get("line").asInt(), health.body());
            RawHttp.Response refused = RawHttp.exchange(server.port(), "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n");
            assertEquals(503, refused.status(), "the server is full, as /health says");
        } finally {
            for (java.net.Socket line : lines) {
                line.close();
            }
        }
    }
}
