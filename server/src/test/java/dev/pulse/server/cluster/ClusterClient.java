package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RecordingListener;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A {@code /ws} client of a cluster test, on one node: a thread of its own reads everything, keeps
 * the channel messages it receives (from {@code joined} history and live, in arrival order) and
 * hands every other message to whoever waits for it.
 */
final class ClusterClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final WebSocket ws;
    private final RecordingListener listener = new RecordingListener();
    private final Thread reader;
    private final String id;
    /** Every channel message received, history included, in order of arrival. */
    final List<JsonNode> messages = new CopyOnWriteArrayList<>();
    private final BlockingQueue<JsonNode> others = new LinkedBlockingQueue<>();
    private volatile boolean closed;
    /** The epoch of the latest {@code joined}. */
    volatile String epoch;

    private ClusterClient(URI uri) throws Exception {
        ws = HTTP.newWebSocketBuilder().buildAsync(uri, listener).get(10, TimeUnit.SECONDS);
        reader = new Thread(this::read, "cluster-client");
        reader.setDaemon(true);
        reader.start();
        id = next("welcome", 10_000).get("id").asText();
    }

    static ClusterClient connect(URI uri) throws Exception {
        return new ClusterClient(uri);
    }

    String id() {
        return id;
    }

    boolean isClosed() {
        return closed;
    }

    private void read() {
        try {
            while (!closed) {
                Object event = listener.poll(100);
                if (event instanceof RecordingListener.Text text) {
                    JsonNode message = JSON.readTree(text.text());
                    if ("message".equals(message.path("type").asText())) {
                        messages.add(message);
                        continue;
                    }
                    if ("joined".equals(message.path("type").asText())) {
                        message.path("history").forEach(messages::add);
                        epoch = message.path("epoch").asText();
                    }
                    others.add(message);
                } else if (event instanceof RecordingListener.Close || event instanceof RecordingListener.Error) {
                    closed = true;
                }
            }
        } catch (Exception e) {
            closed = true;
        }
    }

    void send(Object... keyValues) {
        ws.sendText(JsonClient.request(keyValues).toString(), true).join();
    }

    /** The next non-channel message of {@code type}, passing over others; fails after {@code millis}. */
    JsonNode next(String type, long millis) throws InterruptedException {
        JsonNode found = poll(m -> type.equals(m.path("type").asText()), millis);
        assertNotNull(found, () -> "no " + type + " within " + millis + " ms");
        return found;
    }

    /** The next non-channel message {@code wanted} accepts, passing over others; null after {@code millis}. */
    JsonNode poll(Predicate<JsonNode> wanted, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode message = left <= 0 ? null : others.poll(left, TimeUnit.NANOSECONDS);
            if (message == null || wanted.test(message)) {
                return message;
            }
        }
    }

    /** Joins {@code channel}, from {@code since} of {@code epoch} when given, and returns the answer. */
    JsonNode join(String channel, String name, long since, String epoch) throws InterruptedException {
        List<Object> request = new ArrayList<>(List.of("type", "join", "channel", channel, "name", name));
        if (since >= 0) {
            request.addAll(List.of("since", since, "epoch", epoch));
        }
        send(request.toArray());
        return next("joined", 10_000);
    }

    /** The seq of the last channel message received, or 0. */
    long lastSeq() {
        return messages.isEmpty() ? 0 : messages.get(messages.size() - 1).get("seq").asLong();
    }

    @Override
    public void close() {
        closed = true;
        ws.abort();
    }
}
