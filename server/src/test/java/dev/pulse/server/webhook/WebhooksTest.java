package dev.pulse.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pulse.server.proxy.Signature;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhooks to a real backend (the JDK's HTTP server on loopback): the events of a channel's life,
 * a member that drops, signed batches, retried after a 500 with the same ids, and a queue that
 * overflows counted, not silent.
 */
class WebhooksTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "a-webhook-secret";

    @RegisterExtension
    final TestServer server = new TestServer();

    private HttpServer backend;
    /** Each POST the backend took: its events. */
    private final BlockingQueue<JsonNode> batches = new LinkedBlockingQueue<>();
    private final AtomicInteger refuseNext = new AtomicInteger();
    private final AtomicInteger posts = new AtomicInteger();
    private final List<String> refusedIds = new ArrayList<>();
    private final CountDownLatch hang = new CountDownLatch(1);
    private volatile boolean hanging;
    private volatile boolean badSignature;

    @BeforeEach
    void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/hooks", this::serve);
        backend.start();
    }

    @AfterEach
    void stopBackend() {
        hang.countDown();
        backend.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        posts.incrementAndGet();
        if (hanging) {
            try {
                hang.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String timestamp = exchange.getRequestHeaders().getFirst(Signature.TIMESTAMP);
        String expected = new Signature(SECRET).sign(Long.parseLong(timestamp), body);
        if (!expected.equals(exchange.getRequestHeaders().getFirst(Signature.SIGNATURE))) {
            badSignature = true;
        }
        JsonNode events = JSON.readTree(body).get("events");
        int status = 200;
        if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            status = 500;
            synchronized (refusedIds) {
                events.forEach(e -> refusedIds.add(e.get("id").asText()));
            }
        } else {
            batches.add(events);
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    private void start(int queueSize) throws InterruptedException {
        URI url = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks");
        server.start(b -> b.webhooks(new WebhookConfig(url, SECRET, WebhookConfig.EVENTS, queueSize)));
    }

    /** The next {@code n} events the backend took, in order. */
    private List<JsonNode> events(int n) throws InterruptedException {
        List<JsonNode> events = new ArrayList<>();
        while (events.size() < n) {
            JsonNode batch = batches.poll(10, TimeUnit.SECONDS);
            assertNotNull(batch, "only " + events.size() + " of " + n + " events arrived: " + events);
            batch.forEach(events::add);
        }
        return events;
    }

    private static String describe(JsonNode event) {
        return event.get("event").asText() + " " + event.get("channel").asText()
                + (event.has("name") ? " " + event.get("name").asText() : "");
    }

    @Test
    void aChannelsLifeReachesTheBackendSignedAndInOrderADroppedConnectionIncluded() throws Exception {
        start(1000);
        JsonClient ann = JsonClient.connect(server);
        ann.join("room-1", "ann");
        try (JsonClient bob = JsonClient.connect(server)) {
            bob.join("room-1", "bob");
            bob.join("$metrics", "bob");
            ann.send("type", "leave", "channel", "room-1");
            ann.next("presence");
            ann.next("left");
        }
        ann.close();
        List<String> seen = events(6).stream().map(WebhooksTest::describe).toList();
        assertEquals(List.of("channel_occupied room-1", "member_joined room-1 ann", "member_joined room-1 bob",
                "member_left room-1 ann", "member_left room-1 bob", "channel_vacated room-1"), seen,
                "bob's connection ended: he left, and the channel is empty; $metrics sends nothing");
        assertTrue(!badSignature, "every batch carries X-Pulse-Signature over its timestamp and body");
    }

    @Test
    void publishesGoToTheWebhookWhereANamespaceAsks() throws Exception {
        URI url = URI.create("http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks");
        server.start(b -> b.webhooks(new WebhookConfig(url, SECRET, Set.of("client_published"), 100))
                .namespaces(List.of(new dev.pulse.server.access.Namespace("orders-*", java.util.Map.of(), false, null,
                        java.util.Map.of(), true))));
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("chat", "ann");
            ann.join("orders-1", "ann");
            ann.send("type", "publish", "channel", "chat", "text", "not told");
            ann.sendRaw("{\"type\":\"publish\",\"channel\":\"orders-1\",\"data\":{\"qty\":2},\"ref\":\"o\"}");
            ann.next("message");
            ann.next("message");
            JsonNode event = events(1).get(0);
            assertEquals("client_published", event.get("event").asText());
            assertEquals("orders-1", event.get("channel").asText());
            assertEquals(ann.id(), event.get("client").asText());
            assertEquals(2, event.get("data").get("qty").asInt());
            assertEquals(null, batches.poll(500, TimeUnit.MILLISECONDS), "chat's publish is not told: no namespace asks");
        }
    }

    @Test
    void aBatchTheBackendRefusesIsSentAgainWithTheSameIds() throws Exception {
        start(1000);
        refuseNext.set(2);
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("retry", "ann");
            List<JsonNode> events = events(2);
            Set<String> ids = new HashSet<>();
            events.forEach(e -> ids.add(e.get("id").asText()));
            synchronized (refusedIds) {
                assertTrue(refusedIds.size() >= 2, "refused twice first: " + refusedIds);
                assertTrue(ids.containsAll(refusedIds), "the retries carry the ids of the refused batches");
            }
        }
    }

    @Test
    void aQueueThatOverflowsDropsCountsAndSaysSo() throws Exception {
        hanging = true;
        start(5);
        try (JsonClient ann = JsonClient.connect(server)) {
            for (int i = 0; i < 20; i++) {
                ann.join("c" + i, "ann");
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String metrics;
        do {
            metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        } while (!metrics.contains("pulse_webhook_events_total{outcome=\"dropped\"}") && System.nanoTime() < deadline);
        String dropped = metrics.lines().filter(l -> l.startsWith("pulse_webhook_events_total{outcome=\"dropped\"}"))
                .findFirst().orElseThrow();
        double count = Double.parseDouble(dropped.substring(dropped.lastIndexOf(' ') + 1));
        assertTrue(count >= 20, "20 joins and 20 leaves, occupied and vacated: 80 events, at most 5 + 1 batch taken: " + dropped);
        hang.countDown();
    }
}
