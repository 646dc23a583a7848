package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22's first finding: Redis stopped ({@code SIGSTOP}) for 12 s while four clients publish
 * 30 KB 50 times a second each. The node keeps what waits for Redis within
 * {@code --redis-max-pending-bytes}, refuses new publishes without sending them once Redis has
 * answered nothing for a second, never delivers a publish it answered {@code unavailable}, and
 * recovers by itself after {@code SIGCONT}.
 */
class RedisStallTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int PUBLISHERS = 4;
    private static final int SIZE = 30_000;

    @RegisterExtension
    final Resources resources = new Resources();

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "within 20 s: " + what);
            Thread.sleep(50);
        }
    }

    /** A gauge or counter of the node's /metrics, 0 when absent. */
    private static double metric(NodeProcess node, String prefix) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @Test
    void aStalledRedisIsRefusedNotQueuedNoRefusedPublishIsDeliveredAndTheNodeRecovers() throws Exception {
        RedisProcess redis = resources.keep(RedisProcess.start());
        int bound = 2 * 1024 * 1024;
        NodeProcess node = resources.keep(NodeProcess.start("--redis", redis.uri(), "--node-timeout", "4s",
                "--redis-max-pending-bytes", Integer.toString(bound), "--message-rate", "1000", "--message-burst", "1000",
                "--max-text-length", "40000", "--max-queued-bytes", "64MiB"));
        ClusterClient observer = resources.keep(ClusterClient.connect(node.uri("/ws")));
        observer.join("stall", "observer", -1, null);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        java.util.Map<String, String> refused = new ConcurrentHashMap<>();
        AtomicBoolean publishing = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PUBLISHERS; p++) {
            ClusterClient publisher = resources.keep(ClusterClient.connect(node.uri("/ws")));
            publisher.join("stall", "p" + p, -1, null);
            String name = "p" + p;
            Thread sender = new Thread(() -> {
                // 50 a second, bounded: at most 30 s of them.
                for (int n = 0; n < 1_500 && publishing.get(); n++) {
                    String ref = name + "-" + n;
                    publisher.send("type", "publish", "channel", "stall", "text", ref + "-" + "x".repeat(SIZE), "ref", ref);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Thread reader = new Thread(() -> {
                try {
                    while (publishing.get() || !publisher.isClosed()) {
                        JsonNode answer = publisher.poll(m -> m.has("ref"), 500);
                        if (answer == null) {
                            if (!publishing.get()) {
                                return;
                            }
                            continue;
                        }
                        if ("ack".equals(answer.path("type").asText())) {
                            acked.add(answer.get("ref").asText());
                        } else {
                            refused.put(answer.get("ref").asText(), answer.path("message").asText());
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads.add(sender);
            threads.add(reader);
            sender.start();
            reader.start();
        }
        await(() -> acked.size() > 50, "publishes acknowledged before the stall");
        int ackedBefore = acked.size();
        redis.pause();
        double peakPending = 0;
        long stalled = System.nanoTime();
        while (System.nanoTime() - stalled < Duration.ofSeconds(12).toNanos()) {
            peakPending = Math.max(peakPending, metric(node, "pulse_redis_pending_bytes"));
            Thread.sleep(250);
        }
        double refusedUnsent = metric(node, "pulse_redis_refused_total");
        double heapDuring = metric(node, "jvm_memory_used_bytes{area=\"heap\"");
        redis.resume();
        node.awaitReady(Duration.ofSeconds(20));
        int refusedBeforeRecovery = refused.size();
        int ackedAtRecovery = acked.size();
        await(() -> acked.size() > ackedAtRecovery + 50, "publishes acknowledged again after SIGCONT");
        publishing.set(false);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        await(() -> {
            Set<String> seen = new java.util.HashSet<>();
            observer.messages.forEach(m -> seen.add(m.get("text").asText().substring(0, m.get("text").asText().indexOf("-x"))));
            return seen.containsAll(acked);
        }, "every acknowledged publish reaches the observer");

        System.out.printf("RedisStallTest: %d acked before the stall, %d acked in all, %d refused; %.0f refused unsent; "
                        + "peak pending %.0f bytes (bound %d); heap during the stall %.0f MB%n", ackedBefore, acked.size(),
                refused.size(), refusedUnsent, peakPending, bound, heapDuring / 1e6);
        assertTrue(refusedBeforeRecovery > 100, "publishes during the stall were refused: " + refusedBeforeRecovery);
        assertTrue(refusedUnsent > 100, "most of them without being sent: " + refusedUnsent);
        assertTrue(peakPending <= bound, "what waits for Redis stays within the bound: " + peakPending);
        List<String> delivered = new ArrayList<>();
        for (JsonNode message : observer.messages) {
            String text = message.get("text").asText();
            delivered.add(text.substring(0, text.indexOf("-x")));
        }
        // Refused without being sent, or run by Redis after its deadline: never published. A publish
        // Redis ran in time but whose answer the stall held past the node's timeout ("did not
        // answer") is the one ambiguous case, documented; counted here.
        int ambiguous = 0;
        for (String ref : delivered) {
            String why = refused.get(ref);
            if (why != null) {
                assertTrue(why.contains("did not answer"), "a publish refused as not published was delivered: " + ref + ": " + why);
                ambiguous++;
            }
        }
        System.out.printf("RedisStallTest: %d delivered, %d of them answered unavailable after Redis had run them%n",
                delivered.size(), ambiguous);
        assertTrue(delivered.containsAll(acked), "every acknowledged publish delivered");
        assertEquals(delivered.size(), new java.util.HashSet<>(delivered).size(), "none twice");
    }
}
