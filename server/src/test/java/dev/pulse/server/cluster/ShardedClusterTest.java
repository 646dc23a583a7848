package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.pulse.server.cluster.ClusterChecks.api;
import static dev.pulse.server.cluster.ClusterChecks.await;
import static dev.pulse.server.cluster.ClusterChecks.memberCount;
import static dev.pulse.server.cluster.ClusterChecks.of;
import static dev.pulse.server.cluster.ClusterChecks.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes over several Redis shards ({@code --redis} with several URIs), each a real
 * {@code redis-server}: channels spread over the shards, each keeps one order and resumes across
 * nodes; a shard killed costs its channels only, and they come back with it; a restarted node's
 * old members leave presence once, and nobody is listed twice; history is bounded in bytes in
 * Redis too.
 */
class ShardedClusterTest {

    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(2);
    private static final String API_KEY = "sharded-test-api-key";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Resources resources = new Resources();

    private <T extends AutoCloseable> T keep(T resource) {
        return resources.keep(resource);
    }

    private List<RedisProcess> shards(int count) throws Exception {
        List<RedisProcess> shards = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            shards.add(keep(RedisProcess.start()));
        }
        return shards;
    }

    private NodeProcess node(List<RedisProcess> shards, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--redis", String.join(",", shards.stream().map(RedisProcess::uri).toList()),
                "--node-timeout", NODE_TIMEOUT.toSeconds() + "s", "--api-key", API_KEY,
                "--message-rate", "1000", "--message-burst", "1000", "--history-size", "1000"));
        args.addAll(List.of(more));
        return keep(NodeProcess.start(args.toArray(String[]::new)));
    }

    private ClusterClient client(NodeProcess node) throws Exception {
        return keep(ClusterClient.connect(node.uri("/ws")));
    }

    /** One channel name per shard, {@code base-N}: the first names the consistent hash puts on each. */
    private static List<String> onEachShard(String base, int shards) {
        String[] found = new String[shards];
        int filled = 0;
        for (int n = 0; filled < shards; n++) {
            String name = base + '-' + n;
            int shard = RedisEngine.shardIndex(name, shards);
            if (found[shard] == null) {
                found[shard] = name;
                filled++;
            }
        }
        return List.of(found);
    }

    @ParameterizedTest(name = "{0} shards")
    @ValueSource(ints = {2, 4})
    void threeNodesKeepOneOrderPerChannelOverTheShardsAndResumeAcrossNodes(int count) throws Exception {
        List<RedisProcess> shards = shards(count);
        List<NodeProcess> nodes = List.of(node(shards), node(shards), node(shards));
        List<String> channels = new ArrayList<>(onEachShard("orders", count));
        channels.addAll(onEachShard("more", count));
        List<ClusterClient> clients = new ArrayList<>();
        Map<String, String> epochs = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            ClusterClient client = client(nodes.get(i));
            for (String channel : channels) {
                JsonNode joined = client.join(channel, "user" + i, -1, null);
                if (i == 0) {
                    epochs.put(channel, joined.get("epoch").asText());
                }
            }
            clients.add(client);
        }
        // Each channel's keys are on the shard its name hashes to, and only there.
        for (int s = 0; s < count; s++) {
            String keys = shards.get(s).cli("--raw", "keys", "pulse:{ch/*}");
            for (String channel : channels) {
                boolean here = RedisEngine.shardIndex(channel, count) == s;
                assertEquals(here, keys.contains("pulse:{ch/" + channel + "}"), channel + " on shard " + s + ": " + keys);
            }
        }

        int each = 15;
        ClusterChecks.publishFromAll(clients, channels, each);
        int perChannel = each * clients.size();
        for (ClusterClient client : clients) {
            await(() -> client.messages.size() >= perChannel * channels.size(), client.id() + " receives everything");
        }
        for (String channel : channels) {
            List<String> order = texts(clients.get(0), channel);
            assertEquals(perChannel, order.size());
            assertEquals(perChannel, new HashSet<>(order).size(), "no message twice in " + channel);
            for (ClusterClient client : clients) {
                assertEquals(order, texts(client, channel), "one order of " + channel + " on every node");
                assertConsecutive(of(client, channel), 1, channel);
            }
        }

        // A client of node 0 leaves; what is published meanwhile, it gets on node 2 by resuming.
        ClusterClient gone = clients.get(0);
        gone.close();
        for (int n = 0; n < 10; n++) {
            for (String channel : channels) {
                clients.get(1).send("type", "publish", "channel", channel, "text", "later #" + n);
            }
        }
        await(() -> clients.get(1).messages.size() >= (perChannel + 10) * channels.size(), "the later messages arrive");
        ClusterClient back = client(nodes.get(2));
        for (String channel : channels) {
            List<JsonNode> had = of(gone, channel);
            long last = had.get(had.size() - 1).get("seq").asLong();
            JsonNode joined = back.join(channel, "user0", last, epochs.get(channel));
            assertEquals(0, joined.get("missed").asLong(), joined::toString);
        }
        for (String channel : channels) {
            List<JsonNode> resumed = of(back, channel);
            assertEquals(10, resumed.size(), "exactly what was missed in " + channel + ": " + texts(back, channel));
            assertConsecutive(resumed, perChannel + 1, channel);
            for (int n = 0; n < 10; n++) {
                assertEquals("later #" + n, resumed.get(n).get("text").asText());
            }
        }
        System.out.printf("ShardedClusterTest: %d shards, 3 nodes, %d channels x %d messages in one order each; "
                + "resumed on another node with nothing lost%n", count, channels.size(), perChannel + 10);
    }

    @Test
    void aShardKilledCostsOnlyItsChannelsWhichComeBackWithIt() throws Exception {
        List<RedisProcess> shards = shards(2);
        NodeProcess a = node(shards);
        NodeProcess b = node(shards);
        List<String> channels = onEachShard("split", 2);
        String kept = channels.get(0);
        String lost = channels.get(1);
        ClusterClient subscriber = client(b);
        ClusterClient publisher = client(a);
        for (String channel : channels) {
            subscriber.join(channel, "subscriber", -1, null);
            publisher.join(channel, "publisher", -1, null);
        }
        assertEquals("ack", publish(publisher, lost, "before"));

        shards.get(1).kill();
        await(() -> health(a).path("cluster").path("shards").path(1).path("connected").asBoolean(true) == false,
                "node a sees shard 1 gone");
        assertEquals(200, a.health(), "the nodes' table is on shard 0: the node stays ready");
        assertTrue(health(a).path("cluster").path("shards").path(0).path("connected").asBoolean());
        int acked = 0;
        int refused = 0;
        for (int n = 0; n < 20; n++) {
            if ("ack".equals(publish(publisher, kept, "kept " + n))) {
                acked++;
            }
            if ("unavailable".equals(publish(publisher, lost, "lost " + n))) {
                refused++;
            }
        }
        assertEquals(20, acked, "the channel on the other shard is untouched");
        assertEquals(20, refused, "the channel on the killed shard is unavailable, not silently dropped");
        await(() -> texts(subscriber, kept).size() == 20, "the other shard's channel is delivered on node b");

        shards.get(1).restart();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String answer;
        do {
            Thread.sleep(200);
            answer = publish(publisher, lost, "after");
        } while (!"ack".equals(answer) && System.nanoTime() < deadline);
        assertEquals("ack", answer, "publishes are taken again once the shard is back");
        await(() -> texts(subscriber, lost).contains("after"), "and delivered on the other node");
        List<String> lostTexts = texts(subscriber, lost);
        assertFalse(lostTexts.stream().anyMatch(t -> t.startsWith("lost ")), "no refused publish delivered: " + lostTexts);
        // The restarted shard was empty: both nodes recorded their members there again.
        await(() -> memberCount(a, API_KEY, lost) == 2, "presence of " + lost + " recorded again on the restarted shard");
        System.out.printf("ShardedClusterTest: shard 1 killed: %d publishes on shard 0 acknowledged, %d on shard 1 "
                + "refused unavailable; back after its restart with its members%n", acked, refused);
    }

    @Test
    void aRestartedNodesOldMembersLeaveOnceAndNobodyIsListedTwice() throws Exception {
        List<RedisProcess> shards = shards(2);
        NodeProcess a = node(shards);
        NodeProcess b = node(shards);
        List<String> channels = new ArrayList<>(onEachShard("presence", 2));
        ClusterClient observer = client(a);
        for (String channel : channels) {
            observer.join(channel, "observer", -1, null);
        }
        Set<String> oldIds = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            ClusterClient client = client(b);
            for (String channel : channels) {
                client.join(channel, "u" + i, -1, null);
            }
            oldIds.add(client.id());
        }
        for (String channel : channels) {
            assertEquals(4, memberCount(a, API_KEY, channel));
        }

        b.kill();
        NodeProcess restarted = node(shards);
        Set<String> newIds = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            ClusterClient client = client(restarted);
            for (String channel : channels) {
                client.join(channel, "u" + i, -1, null);
            }
            newIds.add(client.id());
        }

        // Within the node timeout (and a sweep period), each old member leaves each channel once.
        Map<String, Integer> leaves = new HashMap<>();
        long deadline = System.nanoTime() + NODE_TIMEOUT.multipliedBy(3).toNanos() + Duration.ofSeconds(5).toNanos();
        while (leaves.values().stream().mapToInt(Integer::intValue).sum() < oldIds.size() * channels.size()
                && System.nanoTime() < deadline) {
            JsonNode leave = observer.poll(m -> "presence".equals(m.path("type").asText())
                    && "leave".equals(m.path("event").asText()), 500);
            if (leave != null) {
                leaves.merge(leave.get("channel").asText() + ' ' + leave.get("id").asText(), 1, Integer::sum);
            }
        }
        // One more node timeout: no second leave, no member coming back.
        long quietUntil = System.nanoTime() + NODE_TIMEOUT.plusSeconds(1).toNanos();
        for (long left; (left = (quietUntil - System.nanoTime()) / 1_000_000) > 0; ) {
            JsonNode extra = observer.poll(m -> "presence".equals(m.path("type").asText())
                    && "leave".equals(m.path("event").asText()), left);
            if (extra != null) {
                leaves.merge(extra.get("channel").asText() + ' ' + extra.get("id").asText(), 1, Integer::sum);
            }
        }
        assertEquals(oldIds.size() * channels.size(), leaves.size(), "every old membership left: " + leaves);
        leaves.forEach((membership, times) -> assertEquals(1, times, membership + " left " + times + " times"));
        for (String channel : channels) {
            JsonNode info = api(a, API_KEY, "/api/channels/" + channel);
            List<String> names = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            info.get("members").forEach(m -> {
                names.add(m.path("name").asText());
                ids.add(m.get("id").asText());
            });
            assertEquals(4, info.get("memberCount").asInt(), info::toString);
            assertEquals(4, new HashSet<>(names).size(), "nobody listed twice: " + names);
            for (String id : oldIds) {
                assertFalse(ids.contains(id), "no zombie: " + id + " in " + info);
            }
            assertTrue(ids.containsAll(newIds), info::toString);
        }
        System.out.printf("ShardedClusterTest: a restarted node's %d old memberships left once each, none listed twice%n",
                leaves.size());
    }

    @Test
    void aNodeGivenOtherShardsThanTheLiveNodesDoesNotStart() throws Exception {
        List<RedisProcess> shards = shards(2);
        node(shards);
        NodeProcess refused = keep(NodeProcess.launch("--redis", shards.get(0).uri()));
        assertTrue(refused.awaitExit(Duration.ofSeconds(30)) != 0, "a node that would put channels elsewhere exits");
        assertTrue(refused.output().contains("spread channels over 2 Redis shard(s); this node was given 1"),
                refused.output());
    }

    @Test
    void historyInRedisIsBoundedInBytesToo() throws Exception {
        List<RedisProcess> shards = shards(2);
        NodeProcess a = node(shards, "--history-bytes", "2KiB");
        ClusterClient client = client(a);
        String channel = onEachShard("bounded", 2).get(1);
        client.join(channel, "writer", -1, null);
        String text = "x".repeat(100);
        for (int n = 0; n < 100; n++) {
            assertEquals("ack", publish(client, channel, n + " " + text));
        }
        JsonNode history = api(a, API_KEY, "/api/channels/" + channel + "/history?limit=1000");
        JsonNode messages = history.get("messages");
        assertTrue(messages.size() >= 3 && messages.size() < 20, "about 2 KiB of 200-byte messages: " + messages.size());
        assertTrue(messages.get(messages.size() - 1).get("text").asText().startsWith("99 "), "the newest kept");
        JsonNode resumed = client.join(channel, "writer", 1, client.epoch);
        assertEquals(100 - messages.size() - 1, resumed.get("missed").asLong(), resumed::toString);
        // The state's count of bytes is its stream's.
        RedisProcess shard = shards.get(1);
        long counted = Long.parseLong(shard.cli("--raw", "hget", "pulse:{ch/" + channel + "}", "bytes").strip());
        long stream = 0;
        String[] entries = shard.cli("--raw", "xrange", "pulse:{ch/" + channel + "}/log", "-", "+").split("\n");
        for (int i = 0; i + 2 < entries.length; i += 3) {
            stream += entries[i + 2].getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        assertEquals(stream, counted, "the bytes counted are the bytes kept");
        assertTrue(counted <= 2048, "at most --history-bytes in Redis: " + counted);
    }

    // ---- helpers

    private static String publish(ClusterClient client, String channel, String text) throws InterruptedException {
        String ref = "r" + System.nanoTime();
        client.send("type", "publish", "channel", channel, "text", text, "ref", ref);
        JsonNode answer = client.poll(m -> ref.equals(m.path("ref").asText()), 10_000);
        assertNotNull(answer, "no answer to a publish on " + channel);
        return "ack".equals(answer.path("type").asText()) ? "ack" : answer.path("code").asText();
    }

    private static void assertConsecutive(List<JsonNode> messages, long first, String channel) {
        for (int i = 0; i < messages.size(); i++) {
            assertEquals(first + i, messages.get(i).get("seq").asLong(), "consecutive seqs in " + channel);
        }
    }

    private static JsonNode health(NodeProcess node) {
        try {
            return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }
}
