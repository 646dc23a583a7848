package dev.pulse.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.room.RoomRegistry;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code /metrics}, the {@code $metrics} and {@code $logs} system channels, and the page's files. */
class MonitoringTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.metricsInterval(Duration.ofMillis(100)).allowedOrigins(List.of()));
    }

    private RawHttp.Response get(String path) throws Exception {
        return RawHttp.exchange(server.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    private static double sample(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in\n" + scrape);
    }

    @Test
    void metricsEndpointCountsTrafficRefusalsAndCloseCodes() throws Exception {
        try (JsonClient client = JsonClient.connect(server)) {
            client.join("m", "ann");
            client.send("type", "publish", "channel", "m", "text", "counted");
            client.next("message");
            assertEquals(404, RawHttp.exchange(server.port(), "GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .status());
            client.socket().sendClose(4100, "bye");
            client.listener().next(RecordingListener.Close.class);
        }
        RawHttp.Response response = get("/metrics");
        assertEquals(200, response.status());
        assertTrue(response.header("content-type").startsWith("text/plain"), response.header("content-type"));
        String scrape = response.body();
        assertEquals(2.0, sample(scrape, "pulse_messages_in_total"), "join and publish");
        assertEquals(3.0, sample(scrape, "pulse_messages_out_total"), "welcome, joined, message");
        assertEquals(1.0, sample(scrape, "pulse_handshake_failures_total{reason=\"not_found\"}"));
        assertEquals(1.0, sample(scrape, "pulse_close_sent_total{code=\"other\"}"), "the echoed 4100");
        assertTrue(scrape.contains("jvm_memory_used_bytes"), "JVM metrics are bound");
        assertTrue(scrape.contains("pulse_slow_consumer_total{policy=\"coalesce\"}"));
    }

    @Test
    void metricsChannelPublishesSnapshotsToItsMembers() throws Exception {
        try (JsonClient viewer = JsonClient.connect(server)) {
            viewer.join("$metrics", "viewer");
            JsonNode message = viewer.next("message");
            assertEquals("$metrics", message.get("channel").asText());
            assertEquals("server", message.get("from").asText());
            JsonNode data = message.get("data");
            assertEquals(1, data.get("connections").asInt());
            for (String field : List.of("channels", "members", "messagesInPerSec", "messagesOutPerSec", "bytesInPerSec",
                    "bytesOutPerSec", "slowConsumers", "handshakeFailures", "heapUsedBytes", "heapMaxBytes",
                    "directMemoryBytes", "gcCount", "gcTimeMs", "processCpuLoad", "uptimeSeconds")) {
                assertTrue(data.has(field), "snapshot has " + field + ": " + data);
            }
            long seq = message.get("seq").asLong();
            assertEquals(seq + 1, viewer.next("message").get("seq").asLong(), "one snapshot per interval");
        }
    }

    @Test
    void logsChannelTailsTheServersLog() throws Exception {
        try (JsonClient viewer = JsonClient.connect(server)) {
            viewer.join("$logs", "viewer");
            LoggerFactory.getLogger("dev.pulse.test").warn("a line for the $logs channel");
            JsonNode data;
            do {
                data = viewer.next("message").get("data");
            } while (!"a line for the $logs channel".equals(data.get("message").asText()));
            assertEquals("WARN", data.get("level").asText());
            assertEquals("dev.pulse.test", data.get("logger").asText());
        }
    }

    /** Like tail -f: a dashboard opened after start-up shows the recent past, not an empty log. */
    @Test
    void logsChannelKeepsItsHistoryWhileNobodyWatches() throws Exception {
        String line = "a line logged while nobody watched " + System.nanoTime();
        LoggerFactory.getLogger("dev.pulse.test").warn(line);
        RoomRegistry rooms = server.server().sessions().rooms();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!contains(rooms.history("$logs", -1, 1_000).get(5, TimeUnit.SECONDS).messages(), line)) {
            assertTrue(System.nanoTime() < deadline, "the line never reached $logs' history");
            Thread.sleep(20);
        }
        try (JsonClient viewer = JsonClient.connect(server)) {
            viewer.send("type", "join", "channel", "$logs");
            JsonNode joined = viewer.next();
            while (!"joined".equals(joined.get("type").asText())) {
                joined = viewer.next();
            }
            List<byte[]> history = new ArrayList<>();
            for (JsonNode message : joined.get("history")) {
                history.add(message.toString().getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(contains(history, line), "a viewer that joins later gets the line in joined's history");
        }
    }

    private static boolean contains(List<byte[]> messages, String text) {
        for (byte[] message : messages) {
            if (new String(message, StandardCharsets.UTF_8).contains(text)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void noSnapshotIsComputedWithoutMembers() {
        MetricsPublisher publisher = new MetricsPublisher(null, server.server().sessions().rooms());
        publisher.start(GlobalEventExecutor.INSTANCE, Duration.ofHours(1));
        try {
            // With a null ServerMetrics, computing a snapshot would throw: nobody is subscribed, so none is.
            publisher.publish();
        } finally {
            publisher.stop();
        }
    }

    @Test
    void pageAndClientLibraryAreServedFromTheJar() throws Exception {
        RawHttp.Response page = get("/");
        assertEquals(200, page.status());
        assertTrue(page.header("content-type").startsWith("text/html"));
        assertTrue(page.body().contains("/pulse.js") && page.body().contains("/vendor/chart.umd.js"));
        assertTrue(get("/pulse.js").body().contains("class PulseClient"));
        assertEquals(200, get("/app.js").status());
        assertEquals(200, get("/style.css").status());
        assertTrue(get("/vendor/chart.umd.js").body().length() > 100_000, "Chart.js from its WebJar");
    }
}
