package dev.pulse.server.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.WebSocket;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A {@code /ws} client for tests on the JDK's WebSocket client: sends JSON requests and waits
 * for the next JSON message of an expected type.
 */
public final class JsonClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WebSocket ws;
    private final RecordingListener listener;
    private final String id;

    private JsonClient(WebSocket ws, RecordingListener listener) throws InterruptedException {
        this.ws = ws;
        this.listener = listener;
        this.id = next("welcome").get("id").asText();
    }

    /** Connects to {@code /ws} and reads the {@code welcome}. */
    public static JsonClient connect(TestServer server) throws Exception {
        RecordingListener listener = new RecordingListener();
        return new JsonClient(server.connect("/ws", listener), listener);
    }

    /** Connects to {@code /ws} with {@code token} in the query and reads the {@code welcome}. */
    public static JsonClient connect(TestServer server, String token) throws Exception {
        RecordingListener listener = new RecordingListener();
        return new JsonClient(server.connect("/ws?token=" + token, listener), listener);
    }

    public String id() {
        return id;
    }

    public WebSocket socket() {
        return ws;
    }

    public RecordingListener listener() {
        return listener;
    }

    /** Builds a request from key/value pairs: {@code request("type", "join", "channel", "lobby")}. */
    public static ObjectNode request(Object... keyValues) {
        ObjectNode node = JSON.createObjectNode();
        for (int i = 0; i < keyValues.length; i += 2) {
            node.set((String) keyValues[i], JSON.valueToTree(keyValues[i + 1]));
        }
        return node;
    }

    public void send(Object... keyValues) throws Exception {
        sendRaw(request(keyValues).toString());
    }

    public void sendRaw(String text) throws Exception {
        ws.sendText(text, true).get(5, TimeUnit.SECONDS);
    }

    /** The next message, whatever its type. */
    public JsonNode next() throws InterruptedException {
        try {
            return JSON.readTree(listener.next(RecordingListener.Text.class).text());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("the server sent invalid JSON", e);
        }
    }

    /** The next message, which must have {@code type}. */
    public JsonNode next(String type) throws InterruptedException {
        JsonNode message = next();
        assertEquals(type, message.path("type").asText(), message::toString);
        return message;
    }

    /** Joins {@code channel} as {@code name} and returns the {@code joined} answer. */
    public JsonNode join(String channel, String name) throws Exception {
        send("type", "join", "channel", channel, "name", name);
        return next("joined");
    }

    /** Sends an {@code error}-provoking request and returns the error's code. */
    public String errorCodeFor(String raw) throws Exception {
        sendRaw(raw);
        return next("error").get("code").asText();
    }

    @Override
    public void close() {
        ws.abort();
    }
}
