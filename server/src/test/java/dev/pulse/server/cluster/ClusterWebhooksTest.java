package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhooks of a two-node cluster (real {@code redis-server}, nodes in their own JVMs): each event
 * once for the cluster, however many nodes hold members, and {@code member_left} for the members
 * of a node killed with {@code kill -9}, from the node that swept them.
 */
class ClusterWebhooksTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Resources resources = new Resources();
    private final List<JsonNode> events = new ArrayList<>();
    private HttpServer backend;

    private List<String> seen() {
        synchronized (events) {
            return events.stream().map(e -> e.get("event").asText() + " " + e.get("channel").asText()
                    + (e.has("name") ? " " + e.get("name").asText() : "")).toList();
        }
    }

    private void await(String event, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!seen().contains(event)) {
            assertTrue(System.nanoTime() < deadline, "no \"" + event + "\" within " + millis + " ms: " + seen());
            Thread.sleep(50);
        }
    }

    @Test
    void eachEventIsSentOnceForTheClusterAndAKilledNodesMembersLeave() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/hooks", exchange -> {
            JsonNode batch = JSON.readTree(exchange.getRequestBody().readAllBytes()).get("events");
            synchronized (events) {
                batch.forEach(events::add);
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        backend.start();
        // Stopped after the nodes, which are kept after it.
        resources.keep(() -> backend.stop(0));
        String url = "http://127.0.0.1:" + backend.getAddress().getPort() + "/hooks";
        RedisProcess redis = resources.keep(RedisProcess.start());
        NodeProcess a = resources.keep(NodeProcess.start("--redis", redis.uri(), "--node-timeout", "2s", "--webhook-url", url));
        NodeProcess b = resources.keep(NodeProcess.start("--redis", redis.uri(), "--node-timeout", "2s", "--webhook-url", url));

        ClusterClient ann = resources.keep(ClusterClient.connect(a.uri("/ws")));
        ann.join("room", "ann", -1, null);
        ClusterClient bob = resources.keep(ClusterClient.connect(b.uri("/ws")));
        bob.join("room", "bob", -1, null);
        ClusterClient cy = resources.keep(ClusterClient.connect(b.uri("/ws")));
        cy.join("room", "cy", -1, null);
        await("member_joined room cy", 10_000);

        b.kill();
        await("member_left room bob", 2_000 + 500 + 5_000);
        await("member_left room cy", 1_000);
        ann.close();
        await("channel_vacated room", 5_000);

        Thread.sleep(500); // anything sent twice would have arrived by now
        List<String> seen = seen();
        assertEquals(List.of("channel_occupied room", "member_joined room ann", "member_joined room bob",
                "member_joined room cy"), seen.subList(0, 4), "one occupied for the cluster, though both nodes hold members");
        assertEquals(Set.of("member_left room bob", "member_left room cy"), new HashSet<>(seen.subList(4, 6)),
                "the killed node's members, swept by the survivor: " + seen);
        assertEquals(List.of("member_left room ann", "channel_vacated room"), seen.subList(6, 8));
        assertEquals(8, seen.size(), "each event once: " + seen);
        Set<String> ids = new HashSet<>();
        synchronized (events) {
            events.forEach(e -> ids.add(e.get("id").asText()));
        }
        assertEquals(8, ids.size(), "every event has an id of its own");
    }
}
