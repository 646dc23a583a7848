package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.pulse.server.cluster.ClusterChecks.api;
import static dev.pulse.server.cluster.ClusterChecks.await;
import static dev.pulse.server.cluster.ClusterChecks.memberCount;
import static dev.pulse.server.cluster.ClusterChecks.of;
import static dev.pulse.server.cluster.ClusterChecks.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes over a Redis Cluster of three masters made by the test ({@code redis-server
 * --cluster-enabled yes}, {@code redis-cli --cluster create}) with {@code --redis-cluster}: each
 * channel's keys in one hash slot, its messages on a shard channel (SPUBLISH/SSUBSCRIBE) served by
 * the master of that slot; one order per channel, history, presence, listing, relay rooms and a
 * killed node's members swept.
 */
class RedisClusterTest {

    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(2);
    private static final String API_KEY = "redis-cluster-test-api-key";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Resources resources = new Resources();

    private <T extends AutoCloseable> T keep(T resource) {
        return resources.keep(resource);
    }

    @Test
    void nodesOverARedisClusterShareChannelsSpreadOverItsMasters() throws Exception {
        List<RedisProcess> masters = RedisProcess.startCluster(3);
        masters.forEach(this::keep);
        String seeds = String.join(",", masters.stream().map(RedisProcess::uri).toList());
        String[] args = {"--redis", seeds, "--redis-cluster", "--node-timeout", NODE_TIMEOUT.toSeconds() + "s",
            "--api-key", API_KEY, "--message-rate", "1000", "--message-burst", "1000", "--history-size", "1000"};
        NodeProcess a = keep(NodeProcess.start(args));
        NodeProcess b = keep(NodeProcess.start(args));
        NodeProcess victim = keep(NodeProcess.start(args));

        List<String> channels = new ArrayList<>();
        for (int n = 0; n < 9; n++) {
            channels.add("room-" + n);
        }
        List<ClusterClient> clients = List.of(client(a), client(b));
        for (ClusterClient client : clients) {
            for (String channel : channels) {
                client.join(channel, "member", -1, null);
            }
        }
        // The channels' keys are spread over the masters, each channel's in one slot of one master.
        Set<Integer> holding = new HashSet<>();
        for (String channel : channels) {
            int found = 0;
            for (int m = 0; m < masters.size(); m++) {
                if (masters.get(m).cli("--raw", "exists", "pulse:{ch/" + channel + "}").strip().equals("1")) {
                    found++;
                    holding.add(m);
                }
            }
            assertEquals(1, found, channel + "'s state on exactly one master");
        }
        assertTrue(holding.size() >= 2, "nine channels spread over more than one master: " + holding);
        // Their topics are shard channels, on the masters of their slots.
        int shardChannels = 0;
        for (RedisProcess master : masters) {
            String listed = master.cli("--raw", "pubsub", "shardchannels", "pulse:{ch/*");
            shardChannels += listed.isBlank() ? 0 : listed.strip().split("\n").length;
        }
        assertEquals(channels.size(), shardChannels, "one shard channel per channel");

        int each = 20;
        ClusterChecks.publishFromAll(clients, channels, each);
        int perChannel = each * clients.size();
        for (ClusterClient client : clients) {
            await(() -> client.messages.size() >= perChannel * channels.size(), client.id() + " receives everything");
        }
        for (String channel : channels) {
            List<String> order = texts(clients.get(0), channel);
            assertEquals(perChannel, new HashSet<>(order).size(), "every message once in " + channel);
            assertEquals(order, texts(clients.get(1), channel), "one order of " + channel + " on both nodes");
        }

        JsonNode history = api(a, API_KEY, "/api/channels/room-4/history?limit=1000");
        assertEquals(perChannel, history.get("messages").size(), history::toString);
        JsonNode listed = api(b, API_KEY, "/api/channels?prefix=room-");
        assertEquals(channels.size(), listed.get("total").asInt(), listed::toString);
        assertEquals(2, listed.get("channels").get(0).get("memberCount").asInt(), listed::toString);

        // A relay room crosses the nodes over the cluster too.
        RecordingListener onB = new RecordingListener();
        WebSocket memberOnB = HTTP.newWebSocketBuilder().buildAsync(b.uri("/rooms/lobby"), onB).get(10, TimeUnit.SECONDS);
        WebSocket memberOnA = HTTP.newWebSocketBuilder().buildAsync(a.uri("/rooms/lobby"), new RecordingListener())
                .get(10, TimeUnit.SECONDS);
        await(() -> {
            memberOnA.sendText("over the cluster", true).join();
            try {
                return onB.poll(200) instanceof RecordingListener.Text text && text.text().equals("over the cluster");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "a relay room's frame crosses to the other node");
        memberOnA.abort();
        memberOnB.abort();

        // A killed node's members leave every channel's presence, whatever master holds it.
        ClusterClient doomed = client(victim);
        for (String channel : channels) {
            doomed.join(channel, "doomed", -1, null);
        }
        await(() -> memberCount(a, API_KEY, "room-0") == 3, "three members");
        victim.kill();
        Map<String, Integer> leaves = new HashMap<>();
        long deadline = System.nanoTime() + NODE_TIMEOUT.multipliedBy(3).toNanos() + Duration.ofSeconds(5).toNanos();
        while (leaves.size() < channels.size() && System.nanoTime() < deadline) {
            JsonNode leave = clients.get(0).poll(m -> "presence".equals(m.path("type").asText())
                    && "leave".equals(m.path("event").asText()), 500);
            if (leave != null) {
                assertEquals(doomed.id(), leave.get("id").asText());
                leaves.merge(leave.get("channel").asText(), 1, Integer::sum);
            }
        }
        assertEquals(channels.size(), leaves.size(), "a leave in every channel: " + leaves);
        leaves.forEach((channel, times) -> assertEquals(1, times, channel));
        for (String channel : channels) {
            assertEquals(2, memberCount(b, API_KEY, channel), channel);
        }
        System.out.printf("RedisClusterTest: 3 masters, %d channels on %d of them, %d messages each in one order; "
                + "a killed node's members left all %d channels once%n", channels.size(), holding.size(), perChannel,
                leaves.size());
    }

    private ClusterClient client(NodeProcess node) throws Exception {
        return keep(ClusterClient.connect(node.uri("/ws")));
    }
}
