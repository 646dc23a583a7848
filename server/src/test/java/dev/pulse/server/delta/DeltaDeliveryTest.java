package dev.pulse.server.delta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import dev.pulse.testing.WireFrames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delta delivery over real {@code /ws} connections: a member that joined with
 * {@code "delta":true} gets the first message whole and then deltas, which rebuild exactly the
 * messages a member without deltas got; after a gap (a message the slow-consumer policy dropped,
 * a join again) the next message is whole; a channel whose namespace has no deltas, and a member
 * that did not ask, get whole messages only.
 */
class DeltaDeliveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    private void start() throws InterruptedException {
        server.start(b -> b.namespaces(List.of(new Namespace("snap-*", Map.of(), false, null, Map.of(), false, true)))
                .messageRate(1_000_000).messageBurst(1_000_000)
                .channelPolicies("snap-feed=drop")
                .maxQueuedBytes(64 * 1024)
                .closeTimeout(Duration.ofSeconds(30)));
    }

    /** A 2 KB JSON document whose field {@code price} alone changes. */
    private static String document(int i) {
        StringBuilder doc = new StringBuilder("{\"symbol\":\"PULSE\",\"price\":").append(100 + i % 7 * 13 + i).append(",\"book\":[");
        for (int k = 0; k < 40; k++) {
            doc.append(k == 0 ? "" : ",").append("{\"level\":").append(k).append(",\"size\":").append(k * 37 % 11).append('}');
        }
        return doc.append("],\"note\":\"").append("steady text ".repeat(70)).append("\"}").toString();
    }

    /** A client that joined {@code channel} with {@code "delta":true}, its {@code joined} read. */
    private JsonClient joinWithDeltas(String channel) throws Exception {
        JsonClient client = JsonClient.connect(server);
        client.send("type", "join", "channel", channel, "delta", true);
        client.next("joined");
        return client;
    }

    /** Publishes versions {@code from} to {@code from + count - 1} of the {@link #document}. */
    private static void publishDocuments(JsonClient client, String channel, int from, int count) throws Exception {
        for (int i = from; i < from + count; i++) {
            client.sendRaw("{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"data\":" + document(i) + "}");
        }
    }

    @Test
    void aDeltaMemberRebuildsExactlyTheMessagesOthersGot() throws Exception {
        start();
        try (JsonClient plain = JsonClient.connect(server); JsonClient delta = JsonClient.connect(server)) {
            plain.join("snap-prices", "plain");
            delta.send("type", "join", "channel", "snap-prices", "name", "delta", "delta", true);
            delta.next("joined");
            plain.next("presence");
            publishDocuments(plain, "snap-prices", 0, 20);
            List<String> whole = texts(plain, 20);
            List<String> received = texts(delta, 20);
            List<String> rebuilt = rebuild(received);
            assertEquals(whole, rebuilt, "the deltas rebuild the very bytes the other member got");
            assertFalse(JSON.readTree(received.get(0)).has("delta"), "the first message after the join is whole");
            long deltas = received.stream().filter(t -> t.contains("\"delta\":true")).count();
            assertEquals(19, deltas, "every message after the first is a delta");
            assertEquals(19, server.server().sessions().stats().deltas(), "counted as deltas");
            int wholeBytes = received.get(1).length();
            assertTrue(received.get(1).length() < whole.get(1).length() / 10,
                    "a delta of one changed field is small: " + wholeBytes + " vs " + whole.get(1).length());
            assertTrue(whole.stream().noneMatch(t -> t.contains("\"delta\"")), "a member that did not ask gets whole messages");
        }
    }

    @Test
    void aJoinAgainIsFollowedByAWholeMessageAndOneWithoutDeltaEndsThem() throws Exception {
        start();
        try (JsonClient delta = joinWithDeltas("snap-again")) {
            publishDocuments(delta, "snap-again", 0, 3);
            List<String> before = texts(delta, 3);
            assertTrue(before.get(2).contains("\"delta\":true"), before.get(2));
            long seq = JSON.readTree(before.get(2)).get("seq").asLong();
            delta.send("type", "join", "channel", "snap-again", "since", seq, "delta", true);
            delta.next("joined");
            publishDocuments(delta, "snap-again", 3, 2);
            List<String> after = texts(delta, 2);
            assertFalse(after.get(0).contains("\"delta\""), "whole after the join: " + after.get(0));
            assertTrue(after.get(1).contains("\"delta\":true"), "then deltas again: " + after.get(1));
            delta.send("type", "join", "channel", "snap-again");
            delta.next("joined");
            publishDocuments(delta, "snap-again", 5, 2);
            assertTrue(texts(delta, 2).stream().noneMatch(t -> t.contains("\"delta\"")), "a join without delta ends them");
        }
    }

    @Test
    void deltasAreOnlyWhereTheNamespaceAllowsThem() throws Exception {
        start();
        try (JsonClient delta = joinWithDeltas("plain-prices")) {
            publishDocuments(delta, "plain-prices", 0, 3);
            assertTrue(texts(delta, 3).stream().noneMatch(t -> t.contains("\"delta\"")));
            assertEquals("bad_field", delta.errorCodeFor("{\"type\":\"join\",\"channel\":\"snap-x\",\"delta\":\"yes\"}"));
        }
    }

    @Test
    void metricsAreDeltasByDefault() throws Exception {
        server.start(b -> b.metricsInterval(Duration.ofMillis(50)));
        try (JsonClient plain = JsonClient.connect(server); JsonClient delta = JsonClient.connect(server)) {
            plain.join("$metrics", "plain");
            delta.send("type", "join", "channel", "$metrics", "delta", true);
            delta.next("joined");
            List<String> received = texts(delta, 6);
            Map<Long, String> whole = new HashMap<>();
            while (whole.size() < 30 && !whole.containsKey(JSON.readTree(received.get(5)).get("seq").asLong())) {
                String text = texts(plain, 1).get(0);
                whole.put(JSON.readTree(text).get("seq").asLong(), text);
            }
            List<String> rebuilt = rebuild(received);
            int deltas = 0;
            for (int i = 0; i < rebuilt.size(); i++) {
                long seq = JSON.readTree(rebuilt.get(i)).get("seq").asLong();
                if (whole.containsKey(seq)) {
                    assertEquals(whole.get(seq), rebuilt.get(i));
                }
                deltas += received.get(i).contains("\"delta\":true") ? 1 : 0;
            }
            assertTrue(deltas >= 4, "snapshots after the first go as deltas: " + received);
        }
    }

    /**
     * A member that stops reading in a channel whose policy drops: once it reads again, no delta
     * stands on a message it did not get, the message after each gap is whole, and every delta
     * rebuilds the message the publisher got.
     */
    @Test
    void aDroppedMessageIsFollowedByAWholeOne() throws Exception {
        start();
        Random random = new Random(24);
        try (JsonClient publisher = JsonClient.connect(server)) {
            publisher.join("snap-feed", "publisher");
            RawWebSocket slow = RawWebSocket.open(server.port(), "/ws", 4096);
            readText(slow);
            slow.send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"join\",\"channel\":\"snap-feed\",\"delta\":true}"));
            publisher.next("presence");
            int messages = 2000;
            Map<Long, String> sent = new HashMap<>();
            String pad = "";
            for (int i = 0; i < messages; i++) {
                // Every other message a new 8 KB pad: whole messages that fill the queue (8 MB in all); deltas between them.
                if (i % 2 == 0) {
                    byte[] bytes = new byte[6000];
                    random.nextBytes(bytes);
                    pad = java.util.Base64.getEncoder().encodeToString(bytes);
                }
                publisher.sendRaw("{\"type\":\"publish\",\"channel\":\"snap-feed\",\"ref\":\"r" + i
                        + "\",\"data\":{\"i\":" + i + ",\"pad\":\"" + pad + "\"}}");
                // One at a time: the publisher, a member too, reads its own copies (what every member should get) and never falls behind.
                while (true) {
                    String text = publisher.listener().next(RecordingListener.Text.class).text();
                    JsonNode m = JSON.readTree(text);
                    if ("ack".equals(m.path("type").asText())) {
                        break;
                    }
                    if ("message".equals(m.path("type").asText())) {
                        sent.put(m.get("seq").asLong(), text);
                    }
                }
            }
            try (slow) {
                slow.send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"ping\",\"ref\":\"caught-up\"}"));
                Replay replay = new Replay(sent);
                for (String text = readText(slow); !text.contains("\"type\":\"pong\""); text = readText(slow)) {
                    replay.next(text);
                }
                assertTrue(server.server().sessions().stats().dropped() > 0, "messages were dropped");
                assertTrue(replay.deltas > 0, "deltas were sent before the queue filled");
                long lastReceived = replay.previousSeq;
                // Caught up: the next message stands after a gap, so it is whole; the one after it a delta again.
                for (int i = 0; i < 2; i++) {
                    publisher.sendRaw("{\"type\":\"publish\",\"channel\":\"snap-feed\",\"data\":{\"i\":" + (messages + i)
                            + ",\"pad\":\"" + pad + "\"}}");
                    String text = texts(publisher, 1).get(0);
                    sent.put(JSON.readTree(text).get("seq").asLong(), text);
                }
                String afterGap = readText(slow);
                assertTrue(JSON.readTree(afterGap).get("seq").asLong() > lastReceived + 1, "the member missed messages");
                assertFalse(JSON.readTree(afterGap).has("delta"), "whole after the gap: " + afterGap);
                replay.next(afterGap);
                String next = readText(slow);
                assertTrue(JSON.readTree(next).path("delta").asBoolean(), "then a delta again: " + next);
                replay.next(next);
                System.out.printf("[delta] %d messages, the slow member got %d deltas; %s%n", messages, replay.deltas,
                        server.server().sessions().stats());
            }
        }
    }

    /** A member's messages as it applies them: no delta may stand on a message it did not get. */
    private static final class Replay {

        private final Map<Long, String> sent;
        private String previous;
        private long previousSeq = -1;
        private int deltas;

        Replay(Map<Long, String> sent) {
            this.sent = sent;
        }

        void next(String received) throws Exception {
            JsonNode m = JSON.readTree(received);
            if (!"message".equals(m.path("type").asText())) {
                return;
            }
            long seq = m.get("seq").asLong();
            String text;
            if (m.path("delta").asBoolean()) {
                assertEquals(previousSeq, m.get("base").asLong(), "a delta stands on the message received before it");
                text = apply(previous, m.get("patch").asText());
                deltas++;
            } else {
                text = received;
            }
            assertEquals(sent.get(seq), text, "message " + seq);
            previous = text;
            previousSeq = seq;
        }
    }

    /**
     * With permessage-deflate (without context takeover, the server's default), the full message
     * and the delta are each compressed once for every member that shares compression: two
     * compressions a message, whatever the number of members, and the compressed delta inflates to
     * the same delta an uncompressed member gets.
     */
    @Test
    void compressedMembersShareOneCompressedDelta() throws Exception {
        server.start(b -> b.deflate(true).deflateThreshold(0)
                .namespaces(List.of(new Namespace("snap-*", Map.of(), false, null, Map.of(), false, true))));
        String offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
        List<RawWebSocket> compressing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            compressing.add(RawWebSocket.open(server.port(), "/ws", 0, offer));
        }
        try (JsonClient uncompressed = joinWithDeltas("snap-zip")) {
            for (RawWebSocket ws : compressing) {
                readText(ws);
                ws.send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"join\",\"channel\":\"snap-zip\",\"delta\":true}"));
                assertTrue(inflated(ws).contains("\"type\":\"joined\""));
            }
            publishDocuments(uncompressed, "snap-zip", 0, 1);
            List<String> first = texts(uncompressed, 1);
            for (RawWebSocket ws : compressing) {
                assertEquals(first.get(0), nextMessage(ws));
            }
            long before = server.server().sessions().stats().compressed();
            publishDocuments(uncompressed, "snap-zip", 1, 1);
            String delta = texts(uncompressed, 1).get(0);
            assertTrue(delta.contains("\"delta\":true"), delta);
            for (RawWebSocket ws : compressing) {
                assertEquals(delta, nextMessage(ws), "the same delta, compressed");
            }
            assertEquals(2, server.server().sessions().stats().compressed() - before,
                    "the message and its delta, each compressed once for the three members");
        } finally {
            for (RawWebSocket ws : compressing) {
                ws.close();
            }
        }
    }

    /** The next frame's text, inflated where it came compressed. */
    private static String inflated(RawWebSocket ws) throws Exception {
        RawWebSocket.Frame frame = ws.read();
        assertEquals(WebSocketOpcode.TEXT, frame.opcode(), "expected a text frame");
        byte[] payload = (frame.rsv() & 4) != 0 ? WireFrames.inflate(frame.payload()) : frame.payload();
        return new String(payload, StandardCharsets.UTF_8);
    }

    private static String nextMessage(RawWebSocket ws) throws Exception {
        for (String text = inflated(ws); ; text = inflated(ws)) {
            if (text.startsWith("{\"type\":\"message\"")) {
                return text;
            }
        }
    }

    /** Rebuilds each message from the texts received: a delta applied to the message before it. */
    static List<String> rebuild(List<String> received) throws Exception {
        List<String> rebuilt = new ArrayList<>();
        String previous = null;
        for (String text : received) {
            JsonNode m = JSON.readTree(text);
            String whole = m.path("delta").asBoolean() ? apply(previous, m.get("patch").asText()) : text;
            rebuilt.add(whole);
            previous = whole;
        }
        return rebuilt;
    }

    private static String apply(String source, String patch) {
        return new String(FossilDeltaDecoder.apply(source.getBytes(StandardCharsets.UTF_8),
                patch.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** The next {@code n} channel messages, as sent. */
    private static List<String> texts(JsonClient client, int n) throws Exception {
        List<String> texts = new ArrayList<>();
        while (texts.size() < n) {
            String text = client.listener().next(RecordingListener.Text.class).text();
            if ("message".equals(JSON.readTree(text).path("type").asText())) {
                texts.add(text);
            }
        }
        return texts;
    }

    private static String readText(RawWebSocket ws) throws Exception {
        RawWebSocket.Frame frame = ws.read();
        assertEquals(WebSocketOpcode.TEXT, frame.opcode(), "expected a text frame");
        return new String(frame.payload(), StandardCharsets.UTF_8);
    }
}
