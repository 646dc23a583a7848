package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.NodeProcess;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** What the sharded and Redis Cluster tests do alike: publish from every client at once, read a channel's messages, ask the API. */
final class ClusterChecks {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClusterChecks() {
    }

    /** Each client publishes {@code each} messages to every channel, {@code ID #N}, all clients at once; returns when all are sent. */
    static void publishFromAll(List<ClusterClient> clients, List<String> channels, int each) throws InterruptedException {
        List<Thread> publishers = new ArrayList<>();
        for (ClusterClient client : clients) {
            Thread publisher = new Thread(() -> {
                for (int n = 0; n < each; n++) {
                    for (String channel : channels) {
                        client.send("type", "publish", "channel", channel, "text", client.id() + " #" + n);
                    }
                }
            });
            publisher.start();
            publishers.add(publisher);
        }
        for (Thread publisher : publishers) {
            publisher.join();
        }
    }

    /** The messages of {@code channel} a client received, in order. */
    static List<JsonNode> of(ClusterClient client, String channel) {
        return client.messages.stream().filter(m -> channel.equals(m.path("channel").asText())).toList();
    }

    static List<String> texts(ClusterClient client, String channel) {
        return of(client, channel).stream().map(m -> m.get("text").asText()).toList();
    }

    /** A channel's member count as a node's API gives it, or -1 when it does not answer. */
    static int memberCount(NodeProcess node, String key, String channel) {
        try {
            return api(node, key, "/api/channels/" + channel).path("memberCount").asInt(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** A GET of a node's HTTP API, as JSON. */
    static JsonNode api(NodeProcess node, String key, String path) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(answer.body());
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
