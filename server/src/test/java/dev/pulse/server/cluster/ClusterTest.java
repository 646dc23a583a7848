package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Several nodes as separate processes over one real {@code redis-server}: clients spread over the
 * nodes share channels, one order, history and presence; a node killed with {@code kill -9} and a
 * Redis restarted mid-stream lose nothing for clients that resume.
 */
class ClusterTest {

    /** Short, so that a dead node's members leave presence within seconds. */
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(2);

    private static final String API_KEY = "cluster-test-api-key";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final Resources resources = new Resources();

    private RedisProcess redis() throws Exception {
        return resources.keep(RedisProcess.start());
    }

    private NodeProcess node(RedisProcess redis) throws Exception {
        return resources.keep(NodeProcess.start("--redis", redis.uri(), "--node-timeout", NODE_TIMEOUT.toSeconds() + "s",
                "--message-rate", "1000", "--message-burst", "1000",
                // Enough for everything a resuming client can miss here: the guarantee holds within it.
                "--history-size", "1000"));
    }

    private ClusterClient client(NodeProcess node) throws Exception {
        return resources.keep(ClusterClient.connect(node.uri("/ws")));
    }

    @Test
    void clientsOnThreeNodesSeeEveryMessageOnceInOneOrder() throws Exception {
        RedisProcess redis = redis();
        List<NodeProcess> nodes = List.of(node(redis), node(redis), node(redis));
        List<ClusterClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ClusterClient client = client(nodes.get(i % 3));
            JsonNode joined = client.join("chat", "user" + i, -1, null);
            // Its own presence is recorded before the state is read, on every node (a fresh Redis included).
            assertTrue(joined.get("members").toString().contains(client.id()), joined::toString);
            clients.add(client);
        }
        JsonNode last = clients.get(5).join("chat", "user5", -1, null);
        assertEquals(6, last.get("memberCount").asInt(), "presence counts the members of every node: " + last);

        int each = 40;
        List<Thread> publishers = new ArrayList<>();
        for (ClusterClient client : clients) {
            Thread publisher = new Thread(() -> {
                for (int n = 0; n < each; n++) {
                    client.send("type", "publish", "channel", "chat", "text", client.id() + " #" + n);
                }
            });
            publisher.start();
            publishers.add(publisher);
        }
        for (Thread publisher : publishers) {
            publisher.join();
        }
        int total = each * clients.size();
        for (ClusterClient client : clients) {
            awaitMessages(client, total);
        }
        List<String> order = texts(clients.get(0));
        for (ClusterClient client : clients) {
            List<JsonNode> received = client.messages;
            assertEquals(total, received.size(), "every message once");
            long first = received.get(0).get("seq").asLong();
            for (int i = 0; i < received.size(); i++) {
                assertEquals(first + i, received.get(i).get("seq").asLong(), "consecutive seqs");
            }
            assertEquals(order, texts(client), "one order on every node");
            assertEquals(total, new HashSet<>(texts(client)).size(), "no message twice");
            for (int n = 0; n < each; n++) {
                assertTrue(order.contains(client.id() + " #" + n));
            }
        }
    }

    @Test
    void clientsOfAKilledNodeResumeOnTheSurvivorsWithNothingLostAndTheirPresenceIsDropped() throws Exception {
        RedisProcess redis = redis();
        NodeProcess a = node(redis);
        NodeProcess b = node(redis);
        NodeProcess victim = node(redis);
        ClusterClient observer = client(a);
        observer.join("feed", "observer", -1, null);
        List<ClusterClient> resuming = new ArrayList<>();
        Set<String> victimIds = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            ClusterClient client = client(victim);
            client.join("feed", "v" + i, -1, null);
            resuming.add(client);
            victimIds.add(client.id());
        }
        ClusterClient publisher = client(b);
        publisher.join("feed", "publisher", -1, null);

        int total = 300;
        AtomicInteger acked = new AtomicInteger();
        Thread publishing = new Thread(() -> {
            try {
                for (int n = 0; n < total; n++) {
                    publisher.send("type", "publish", "channel", "feed", "text", "m" + n, "ref", "r" + n);
                    publisher.next("ack", 10_000);
                    acked.incrementAndGet();
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        publishing.start();
        await(() -> acked.get() >= 100, "a third of the messages acknowledged");
        victim.kill();
        long killedAt = System.nanoTime();

        // The dead node's members leave presence, with leave events, within the documented time.
        Set<String> left = new HashSet<>();
        long bound = NODE_TIMEOUT.toMillis() + NODE_TIMEOUT.toMillis() / 4;
        while (left.size() < victimIds.size()) {
            JsonNode leave = observer.poll(m -> "presence".equals(m.path("type").asText())
                    && "leave".equals(m.path("event").asText()), bound + 3000);
            assertNotNull(leave, "presence still holds " + victimIds + " minus " + left);
            left.add(leave.get("id").asText());
        }
        long leftAfter = (System.nanoTime() - killedAt) / 1_000_000;
        assertEquals(victimIds, left);
        System.out.printf("ClusterTest: the killed node's members left presence %d ms after kill -9 (node timeout %d ms)%n",
                leftAfter, NODE_TIMEOUT.toMillis());

        // Its clients reconnect to the survivors and resume from what they had.
        for (int i = 0; i < resuming.size(); i++) {
            ClusterClient before = resuming.get(i);
            await(before::isClosed, "the killed node's connection is seen closed");
            ClusterClient after = client(i % 2 == 0 ? a : b);
            after.messages.addAll(before.messages);
            resume(after, "feed", "v" + i, before);
            resuming.set(i, after);
        }
        publishing.join();
        assertEquals(total, acked.get());
        for (ClusterClient client : resuming) {
            awaitMessages(client, total);
            assertExactly(client, total);
        }
        awaitMessages(observer, total);
        assertExactly(observer, total);
        System.out.printf("ClusterTest: %d published, each resuming client got %d, lost 0, duplicated 0%n", total, total);
    }

    /** Joins from the last seq {@code before} received, paging while the answer says {@code more}. */
    private static void resume(ClusterClient client, String channel, String name, ClusterClient before)
            throws InterruptedException {
        String epoch = before.epoch;
        JsonNode joined = client.join(channel, name, client.lastSeq(), epoch);
        assertEquals(0, joined.get("missed").asLong(), "nothing fell out of history: " + joined);
        while (joined.path("more").asBoolean()) {
            joined = client.join(channel, name, client.lastSeq(), epoch);
        }
    }

    @Test
    void aRedisRestartRefusesPublishesMeanwhileThenEveryNodeDeliversAgainWithoutDuplicates() throws Exception {
        RedisProcess redis = redis();
        NodeProcess a = node(redis);
        NodeProcess b = node(redis);
        ClusterClient subscriber = client(b);
        subscriber.join("ticker", "subscriber", -1, null);
        ClusterClient publisher = client(a);
        publisher.join("ticker", "publisher", -1, null);

        List<String> acked = new ArrayList<>();
        int refused = 0;
        int n = 0;
        boolean restarted = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acked.size() < 100 && System.nanoTime() < deadline) {
            String text = "t" + n;
            publisher.send("type", "publish", "channel", "ticker", "text", text, "ref", "r" + n);
            String ref = "r" + n;
            JsonNode answer = publisher.poll(m -> ref.equals(m.path("ref").asText()), 10_000);
            assertNotNull(answer, "no answer to publish " + n);
            if ("ack".equals(answer.path("type").asText())) {
                acked.add(text);
            } else {
                assertEquals("unavailable", answer.path("code").asText(), answer::toString);
                refused++;
            }
            n++;
            if (acked.size() == 50 && !restarted && refused == 0) {
                redis.kill();
                a.awaitHealth(503, Duration.ofSeconds(10));
            }
            if (refused >= 3 && !restarted) {
                redis.restart();
                a.awaitReady(Duration.ofSeconds(20));
                b.awaitReady(Duration.ofSeconds(20));
                restarted = true;
            }
            Thread.sleep(10);
        }
        assertTrue(restarted, "Redis was restarted");
        assertEquals(100, acked.size(), "publishes are taken again after the restart");
        await(() -> texts(subscriber).containsAll(acked), "every acknowledged message reaches the other node");
        List<String> received = texts(subscriber);
        assertEquals(new HashSet<>(received).size(), received.size(), "no message twice: " + received);
        long previous = 0;
        for (JsonNode message : subscriber.messages) {
            assertTrue(message.get("seq").asLong() > previous, "seq only grows: " + received);
            previous = message.get("seq").asLong();
        }
        System.out.printf("ClusterTest: Redis restart: %d publishes acknowledged, %d refused as unavailable, "
                + "%d received on the other node, 0 duplicated%n", acked.size(), refused, received.size());
    }

    @Test
    void theHttpApiAndRelayRoomsReachEveryNode() throws Exception {
        RedisProcess redis = redis();
        NodeProcess a = resources.keep(NodeProcess.start("--redis", redis.uri(), "--api-key", API_KEY));
        NodeProcess b = resources.keep(NodeProcess.start("--redis", redis.uri(), "--api-key", API_KEY));
        ClusterClient reader = client(b);
        reader.join("news", "reader", -1, null);

        HttpResponse<String> published = api(a, "POST", "/api/publish", "{\"channel\":\"news\",\"text\":\"extra\"}");
        assertEquals(200, published.statusCode(), published.body());
        awaitMessages(reader, 1);
        assertEquals("server", reader.messages.get(0).get("from").asText());
        assertEquals("extra", reader.messages.get(0).get("text").asText());

        // Node a has no member of the channel: each publish opens it there, waits for its own message, and lets go.
        for (int n = 0; n < 30; n++) {
            HttpResponse<String> more = api(a, "POST", "/api/publish", "{\"channel\":\"news\",\"text\":\"n" + n + "\"}");
            assertEquals(200, more.statusCode(), more.body());
            assertEquals(n + 2, JSON.readTree(more.body()).get("seq").asLong(), more.body());
        }
        awaitMessages(reader, 31);
        for (int n = 0; n < 30; n++) {
            assertEquals("n" + n, reader.messages.get(n + 1).get("text").asText());
        }

        JsonNode listed = JSON.readTree(api(a, "GET", "/api/channels?prefix=ne", null).body());
        assertEquals(1, listed.get("total").asInt(), listed::toString);
        assertEquals("news", listed.get("channels").get(0).get("channel").asText());
        assertEquals(1, listed.get("channels").get(0).get("memberCount").asInt(), "members of node b, asked on a");
        JsonNode channel = JSON.readTree(api(a, "GET", "/api/channels/news", null).body());
        assertEquals(reader.id(), channel.get("members").get(0).get("id").asText(), channel::toString);
        JsonNode history = JSON.readTree(api(a, "GET", "/api/channels/news/history", null).body());
        assertEquals("extra", history.get("messages").get(0).get("text").asText(), history::toString);
        assertEquals(31, history.get("messages").size(), history::toString);
        assertEquals(404, api(a, "GET", "/api/channels/nowhere", null).statusCode());

        // A relay room spans the nodes: frames from a member on one reach the members on the other.
        RecordingListener onB = new RecordingListener();
        WebSocket memberOnB = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(b.uri("/rooms/lobby"), onB)
                .get(10, TimeUnit.SECONDS);
        RecordingListener onA = new RecordingListener();
        WebSocket memberOnA = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(a.uri("/rooms/lobby"), onA)
                .get(10, TimeUnit.SECONDS);
        await(() -> {
            memberOnA.sendText("hello from a", true).join();
            try {
                Object event = onB.poll(200);
                return event instanceof RecordingListener.Text text && text.text().equals("hello from a");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, "a relay room's frame crosses to the other node");
        assertEquals(200, api(a, "POST", "/api/rooms/lobby", "{\"text\":\"from the backend\"}").statusCode());
        Object pushed;
        do {
            pushed = onB.poll(10_000);
        } while (pushed instanceof RecordingListener.Text text && text.text().equals("hello from a"));
        assertEquals("from the backend", ((RecordingListener.Text) pushed).text());
        memberOnA.abort();
        memberOnB.abort();

        HttpResponse<String> disconnected = api(a, "POST", "/api/disconnect", "{\"id\":\"" + reader.id() + "\"}");
        assertEquals(200, disconnected.statusCode(), disconnected.body());
        assertEquals(1, JSON.readTree(disconnected.body()).get("disconnected").asInt());
        await(reader::isClosed, "the connection on the other node is closed");
        assertEquals(404, api(a, "POST", "/api/disconnect", "{\"name\":\"nobody\"}").statusCode());
    }

    @Test
    void aPasswordInTheRedisUriIsUsedAndANodeThatCannotJoinItsClusterDoesNotStart() throws Exception {
        RedisProcess redis = resources.keep(RedisProcess.start("s3cret-redis-password"));
        NodeProcess refused = resources.keep(NodeProcess.launch("--redis", redis.uriWithoutPassword()));
        assertTrue(refused.awaitExit(Duration.ofSeconds(30)) != 0, "a node that cannot join its cluster exits");
        String output = refused.output();
        assertTrue(output.contains("cannot reach Redis at redis://127.0.0.1:"), output);
        assertTrue(!output.contains("s3cret"), "the password never appears in the log");

        NodeProcess a = node(redis);
        NodeProcess b = node(redis);
        assertTrue(!a.output().contains("s3cret"), "the password never appears in the log: " + a.output());
        ClusterClient ann = client(a);
        ClusterClient bob = client(b);
        ann.join("auth", "ann", -1, null);
        bob.join("auth", "bob", -1, null);
        ann.send("type", "publish", "channel", "auth", "text", "through an authenticated Redis");
        awaitMessages(bob, 1);
        assertEquals("through an authenticated Redis", bob.messages.get(0).get("text").asText());
    }

    @Test
    void aRedisThatHangsMakesTheNodesUnreadyAndTheyRecoverWhenItAnswersAgain() throws Exception {
        RedisProcess redis = redis();
        String[] cluster = {"--redis", redis.uri(), "--node-timeout", "4s"};
        NodeProcess a = resources.keep(NodeProcess.start(cluster));
        ClusterClient ann = client(a);
        ann.join("hang", "ann", -1, null);
        redis.pause();
        // Its connections stay open; it just does not answer: unready after half the node timeout.
        a.awaitHealth(503, Duration.ofSeconds(10));
        ann.send("type", "publish", "channel", "hang", "text", "while frozen", "ref", "f");
        assertEquals("unavailable", ann.next("error", 10_000).get("code").asText());
        // A channel new to the node waits for its first read of Redis: the join is refused, not left hanging.
        ann.send("type", "join", "channel", "fresh", "ref", "j");
        JsonNode refused = ann.next("error", 10_000);
        assertEquals("unavailable", refused.get("code").asText(), refused::toString);
        assertEquals("j", refused.get("ref").asText());
        redis.resume();
        a.awaitReady(Duration.ofSeconds(20));
        ann.send("type", "publish", "channel", "hang", "text", "after", "ref", "g");
        ann.next("ack", 10_000);
    }

    @Test
    void aMemberWhoLeavesWhileRedisIsDownIsTakenOutOfPresenceOnceItIsBack() throws Exception {
        // A Redis that keeps its data across a restart, and a node timeout longer than the outage:
        // no node is taken for dead, so only the node's retry can take the member out.
        RedisProcess redis = resources.keep(RedisProcess.start(null, true));
        String[] cluster = {"--redis", redis.uri(), "--node-timeout", "10s", "--api-key", API_KEY};
        NodeProcess a = resources.keep(NodeProcess.start(cluster));
        NodeProcess b = resources.keep(NodeProcess.start(cluster));
        ClusterClient observer = client(a);
        observer.join("room", "observer", -1, null);
        ClusterClient leaving = client(b);
        leaving.join("room", "leaving", -1, null);
        assertEquals(2, JSON.readTree(api(a, "GET", "/api/channels/room", null).body()).get("memberCount").asInt());

        redis.kill();
        b.awaitHealth(503, Duration.ofSeconds(10));
        leaving.close();
        await(() -> metric(b, "pulse_redis_failures_total") > 0, "node b tried to record the leave, and failed");
        redis.restart();
        a.awaitReady(Duration.ofSeconds(20));
        b.awaitReady(Duration.ofSeconds(20));
        await(() -> {
            try {
                JsonNode channel = JSON.readTree(api(a, "GET", "/api/channels/room", null).body());
                return channel.get("memberCount").asInt() == 1
                        && channel.get("members").get(0).get("id").asText().equals(observer.id());
            } catch (Exception e) {
                return false;
            }
        }, "presence holds the observer only");
    }

    /** A counter or gauge of the node's {@code /metrics}, or -1 when it does not answer. */
    private static double metric(NodeProcess node, String name) {
        try {
            String text = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : text.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    private static HttpResponse<String> api(NodeProcess node, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "Bearer " + API_KEY).timeout(Duration.ofSeconds(10));
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertExactly(ClusterClient client, int total) {
        Map<Long, String> bySeq = new HashMap<>();
        for (JsonNode message : client.messages) {
            String previous = bySeq.put(message.get("seq").asLong(), message.get("text").asText());
            if (previous != null) {
                fail("seq " + message.get("seq") + " received twice by " + client.id());
            }
        }
        assertEquals(total, bySeq.size());
        for (int n = 0; n < total; n++) {
            assertEquals("m" + n, bySeq.get((long) n + 1), "seq " + (n + 1));
        }
    }

    private static List<String> texts(ClusterClient client) {
        List<String> texts = new ArrayList<>();
        client.messages.forEach(m -> texts.add(m.get("text").asText()));
        return texts;
    }

    private static void awaitMessages(ClusterClient client, int count) throws InterruptedException {
        await(() -> client.messages.size() >= count, client.id() + " receives " + count + " messages");
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
