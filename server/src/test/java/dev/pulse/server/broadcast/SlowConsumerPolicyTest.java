package dev.pulse.server.broadcast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.TestServer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A member that stops reading while a publisher sends far more than its bound: the server's
 * queue for it stays within the bound, and the channel's policy decides the rest. The slow member is a raw socket with a 4 KiB receive buffer that simply does not read.
 */
class SlowConsumerPolicyTest {

    private static final int BOUND = 64 * 1024;
    /** 2,000 messages of 4,000 characters: 8 MB, far past the bound and loopback's socket buffers. */
    private static final int MESSAGES = 2_000;
    private static final String TEXT = "x".repeat(4_000);
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.maxQueuedBytes(BOUND)
                .messageRate(1_000_000).messageBurst(1_000_000)
                .channelPolicies("feed.*=drop,ticker.*=coalesce")
                .closeTimeout(Duration.ofSeconds(30)));
    }

    /** The publisher, already in {@code channel}, and a slow member that has joined and stopped reading. */
    private record Setup(JsonClient publisher, RawWebSocket slow, Channel slowChannel) { }

    private Setup setUp(String channel) throws Exception {
        JsonClient publisher = JsonClient.connect(server);
        publisher.join(channel, "publisher");
        RawWebSocket slow = RawWebSocket.open(server.port(), "/ws", 4096);
        String slowId = readJson(slow).get("id").asText();
        slow.send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"join\",\"channel\":\"" + channel + "\"}"));
        assertEquals(slowId, publisher.next("presence").get("id").asText());
        Channel slowChannel = server.server().sessions().channelOf(slowId);
        assertNotNull(slowChannel);
        return new Setup(publisher, slow, slowChannel);
    }

    /** Publishes {@link #MESSAGES} messages; returns the most bytes ever seen queued for the slow member. */
    private long flood(Setup setup, String channel) throws Exception {
        long maxQueued = 0;
        for (int i = 1; i <= MESSAGES; i++) {
            // One at a time: the publisher, a member too, reads its own copies and never falls behind.
            setup.publisher().send("type", "publish", "channel", channel, "text", TEXT, "ref", "r" + i);
            awaitAck(setup.publisher(), "r" + i);
            if (i % 50 == 0) {
                maxQueued = Math.max(maxQueued, queuedBytes(setup.slowChannel()));
            }
        }
        System.out.printf("[slow-consumer] %s: %d messages of %d B published, at most %d B queued for the"
                + " non-reading member (bound %d B); %s%n", channel, MESSAGES, TEXT.length(), maxQueued, BOUND, stats());
        return maxQueued;
    }

    private static void awaitAck(JsonClient publisher, String ref) throws InterruptedException {
        for (JsonNode m = publisher.next(); ; m = publisher.next()) {
            if ("ack".equals(m.path("type").asText()) && ref.equals(m.path("ref").asText())) {
                return;
            }
        }
    }

    private static long queuedBytes(Channel channel) throws Exception {
        return channel.eventLoop().submit(() -> {
            ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
            return buffer == null ? 0L : buffer.totalPendingWriteBytes();
        }).get(5, TimeUnit.SECONDS);
    }

    private static JsonNode readJson(RawWebSocket ws) throws Exception {
        RawWebSocket.Frame frame = ws.read();
        assertEquals(WebSocketOpcode.TEXT, frame.opcode(), "expected a text frame");
        return JSON.readTree(frame.payload());
    }

    /** Reads past whatever was queued until the Close, and checks its code. */
    private static void assertClosedAfterBacklog(RawWebSocket ws, int code) throws Exception {
        try (ws) {
            RawWebSocket.Frame frame;
            do {
                frame = ws.read();
            } while (frame.opcode() != WebSocketOpcode.CLOSE);
            assertEquals(code, frame.closeCode());
        }
    }

    private BroadcastStats stats() {
        return server.server().sessions().stats();
    }

    @Test
    void disconnectClosesTheSlowMemberWith4002() throws Exception {
        Setup setup = setUp("chat");
        long maxQueued = flood(setup, "chat");
        assertTrue(maxQueued <= BOUND, "queued " + maxQueued + " bytes, bound " + BOUND);
        assertEquals(1, stats().disconnected());
        // Reading again, the member finds what was queued before the bound, then the Close.
        assertClosedAfterBacklog(setup.slow(), 4002);
        setup.publisher().close();
    }

    @Test
    void dropSkipsMessagesForTheSlowMemberAndKeepsItConnected() throws Exception {
        Setup setup = setUp("feed.logs");
        long maxQueued = flood(setup, "feed.logs");
        assertTrue(maxQueued <= BOUND, "queued " + maxQueued + " bytes, bound " + BOUND);
        assertTrue(stats().dropped() > 0, stats()::toString);
        assertEquals(0, stats().disconnected());
        try (RawWebSocket slow = setup.slow()) {
            slow.send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"ping\",\"ref\":\"still-here\"}"));
            long lastSeq = 0;
            int received = 0;
            for (JsonNode m = readJson(slow); !"pong".equals(m.path("type").asText()); m = readJson(slow)) {
                if ("message".equals(m.path("type").asText())) {
                    assertTrue(m.get("seq").asLong() > lastSeq, "in order, with gaps");
                    lastSeq = m.get("seq").asLong();
                    received++;
                }
            }
            assertTrue(received < MESSAGES, "some messages were dropped: received " + received);
        }
        setup.publisher().close();
    }

    @Test
    void coalesceKeepsOnlyTheNewestMessageAndSendsItWhenTheMemberCatchesUp() throws Exception {
        Setup setup = setUp("ticker.btc");
        long maxQueued = flood(setup, "ticker.btc");
        assertTrue(maxQueued <= BOUND, "queued " + maxQueued + " bytes, bound " + BOUND);
        assertTrue(stats().coalesced() > 0, stats()::toString);
        assertEquals(0, stats().disconnected());
        try (RawWebSocket slow = setup.slow()) {
            int received = 0;
            long seq = 0;
            while (seq != MESSAGES) {
                JsonNode m = readJson(slow);
                if ("message".equals(m.path("type").asText())) {
                    assertTrue(m.get("seq").asLong() > seq, "in order");
                    seq = m.get("seq").asLong();
                    received++;
                }
            }
            assertTrue(received < MESSAGES, "older messages were replaced: received " + received);
        }
        setup.publisher().close();
    }

    @Test
    void answersToAClientThatDoesNotReadThemEndInADisconnect() throws Exception {
        Setup setup = setUp("feed.history");
        for (int i = 1; i <= 100; i++) {
            setup.publisher().send("type", "publish", "channel", "feed.history", "text", TEXT, "ref", "h" + i);
            awaitAck(setup.publisher(), "h" + i);
        }
        // Each join is answered with 100 messages of history (400 KB); 40 of them are far past any buffer.
        for (int i = 0; i < 40 && setup.slowChannel().isActive(); i++) {
            setup.slow().send(frame(WebSocketOpcode.TEXT).payload("{\"type\":\"join\",\"channel\":\"feed.history\",\"since\":0}"));
        }
        assertClosedAfterBacklog(setup.slow(), 4002);
        setup.publisher().close();
    }
}
