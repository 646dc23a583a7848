package dev.pulse.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend in the loop, with a real backend (the JDK's HTTP server on loopback): allowing,
 * refusing with its own code, changing what is published, answering rpc, timing out, down, busy;
 * requests signed; a client's requests kept in order while the backend thinks.
 */
class BackendProxyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "a-shared-secret-for-the-backend";

    @RegisterExtension
    final TestServer server = new TestServer();

    private HttpServer backend;
    private final BlockingQueue<JsonNode> calls = new LinkedBlockingQueue<>();
    private final BlockingQueue<Map<String, String>> signatures = new LinkedBlockingQueue<>();
    /** What the backend answers to each call: status and body. */
    private volatile Function<JsonNode, Object[]> answer = call -> new Object[] {200, "{}"};
    private final CountDownLatch released = new CountDownLatch(1);

    @BeforeEach
    void startBackend() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", this::serve);
        backend.start();
    }

    @AfterEach
    void stopBackend() {
        released.countDown();
        backend.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        JsonNode call = JSON.readTree(body);
        calls.add(call);
        String timestamp = exchange.getRequestHeaders().getFirst(Signature.TIMESTAMP);
        String signature = exchange.getRequestHeaders().getFirst(Signature.SIGNATURE);
        if (timestamp != null) {
            signatures.add(Map.of("given", signature, "expected",
                    new Signature(SECRET).sign(Long.parseLong(timestamp), body)));
        }
        Object[] reply = answer.apply(call);
        byte[] out = ((String) reply[1]).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders((Integer) reply[0], out.length);
        exchange.getResponseBody().write(out);
        exchange.close();
    }

    /** A backend that holds every answer until the test releases it. */
    private Object[] afterRelease(JsonNode call) {
        try {
            released.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Object[] {200, "{}"};
    }

    private String url(String path) {
        return "http://127.0.0.1:" + backend.getAddress().getPort() + path;
    }

    private static JsonNode error(JsonClient client, String raw) throws Exception {
        client.sendRaw(raw);
        return client.next("error");
    }

    @Test
    void theBackendAllowsRefusesWithItsOwnCodeAndIsToldWhoAsksForWhat() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("join", URI.create(url("/join"))), Duration.ofSeconds(2),
                SECRET, 16, false)));
        answer = call -> call.get("channel").asText().startsWith("paid-")
                ? new Object[] {200, "{\"error\":{\"code\":\"not_paid\",\"message\":\"subscribe first\"}}"}
                : new Object[] {200, "{\"result\":{}}"};
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("free-news", "ann");
            JsonNode call = calls.poll(5, TimeUnit.SECONDS);
            assertEquals("join", call.get("event").asText());
            assertEquals("free-news", call.get("channel").asText());
            assertEquals(ann.id(), call.get("client").asText());
            assertEquals("ws", call.get("transport").asText());
            assertTrue(call.get("user").isNull(), "anonymous: no user " + call);
            assertNotNull(call.get("id").asText(), "every call has an id");
            Map<String, String> signed = signatures.poll(5, TimeUnit.SECONDS);
            assertEquals(signed.get("expected"), signed.get("given"), "X-Pulse-Signature is HMAC-SHA256 of TIMESTAMP.BODY");

            JsonNode refused = error(ann, "{\"type\":\"join\",\"channel\":\"paid-news\",\"ref\":\"j2\"}");
            assertEquals("not_paid", refused.get("code").asText());
            assertEquals("subscribe first", refused.get("message").asText());
            assertEquals("j2", refused.get("ref").asText());
        }
    }

    @Test
    void thePublishProxyMayChangeTheMessageOrRefuseIt() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("publish", URI.create(url("/publish"))), Duration.ofSeconds(2),
                null, 16, false)));
        answer = call -> call.path("text").asText().contains("spam")
                ? new Object[] {200, "{\"error\":{\"code\":\"Bad Code!\",\"message\":\"no spam\"}}"}
                : call.has("data") ? new Object[] {200, "{\"result\":{\"data\":{\"checked\":true,\"was\":"
                        + call.get("data") + "}}}"}
                : new Object[] {200, "{\"result\":{\"text\":\"" + call.get("text").asText().toUpperCase() + "\"}}"};
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("chat", "ann");
            ann.send("type", "publish", "channel", "chat", "text", "hello", "ref", "p1");
            assertEquals("HELLO", ann.next("message").get("text").asText(), "the backend's text is what members get");
            ann.next("ack");
            ann.sendRaw("{\"type\":\"publish\",\"channel\":\"chat\",\"data\":{\"n\":1.50},\"ref\":\"p2\"}");
            JsonNode data = ann.next("message").get("data");
            assertTrue(data.get("checked").asBoolean());
            ann.next("ack");
            JsonNode call = null;
            for (int i = 0; i < 2; i++) {
                call = calls.poll(5, TimeUnit.SECONDS);
            }
            assertEquals(1.5, call.get("data").get("n").asDouble(), "the backend gets the data: " + call);
            JsonNode refused = error(ann, "{\"type\":\"publish\",\"channel\":\"chat\",\"text\":\"buy spam\"}");
            assertEquals("forbidden", refused.get("code").asText(), "a code that is not one word of [a-z0-9_] becomes forbidden");
            assertEquals("no spam", refused.get("message").asText());
        }
    }

    @Test
    void aNamespaceMayHaveABackendOfItsOwn() throws Exception {
        server.start(b -> b.namespaces(java.util.List.of(new dev.pulse.server.access.Namespace("shop-*", Map.of(), false, null,
                Map.of("join", URI.create(url("/shop-join"))), false))));
        answer = call -> new Object[] {200, "{\"error\":{\"code\":\"closed\",\"message\":\"the shop is closed\"}}"};
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("lobby", "ann"); // no backend asked: no namespace endpoint and no --proxy-join-url
            assertEquals("closed", error(ann, "{\"type\":\"join\",\"channel\":\"shop-1\"}").get("code").asText());
            assertEquals("shop-1", calls.poll(5, TimeUnit.SECONDS).get("channel").asText());
            assertEquals(null, calls.poll(200, TimeUnit.MILLISECONDS), "one call: for shop-1 only");
        }
    }

    @Test
    void theConnectEndpointSeesTheCookiesNamesTheUserJoinsChannelsOrRefuses() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("connect", URI.create(url("/connect"))), Duration.ofSeconds(2),
                null, 16, false)));
        answer = call -> {
            String cookie = call.path("headers").path("cookie").asText();
            return cookie.equals("session=ann-123")
                    ? new Object[] {200, "{\"result\":{\"user\":\"ann\",\"channels\":[\"inbox.ann\"]}}"}
                    : new Object[] {200, "{\"error\":{\"code\":\"login\",\"message\":\"log in first\"}}"};
        };
        dev.pulse.server.support.RecordingListener listener = new dev.pulse.server.support.RecordingListener();
        HttpClient.newHttpClient().newWebSocketBuilder().header("Cookie", "session=ann-123")
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws"), listener).get(5, TimeUnit.SECONDS);
        JsonNode welcome = JSON.readTree(listener.next(dev.pulse.server.support.RecordingListener.Text.class).text());
        assertEquals("welcome", welcome.get("type").asText());
        JsonNode joined = JSON.readTree(listener.next(dev.pulse.server.support.RecordingListener.Text.class).text());
        assertEquals("inbox.ann", joined.get("channel").asText(), "joined on the user's behalf: " + joined);
        assertEquals("ann", joined.get("members").get(0).get("name").asText(), "the backend's user is the name");
        JsonNode call = calls.poll(5, TimeUnit.SECONDS);
        assertEquals("connect", call.get("event").asText());
        assertTrue(call.get("headers").has("x-pulse-client-address"), call.toString());

        dev.pulse.server.support.RecordingListener stranger = new dev.pulse.server.support.RecordingListener();
        server.connect("/ws", stranger);
        dev.pulse.server.support.RecordingListener.Close close = stranger.next(dev.pulse.server.support.RecordingListener.Close.class);
        assertEquals(4006, close.code());
        assertEquals("forbidden: log in first", close.reason());
    }

    @Test
    void rpcIsAnsweredByTheBackend() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("rpc", URI.create(url("/rpc"))), Duration.ofSeconds(2),
                null, 16, false)));
        answer = call -> new Object[] {200, "{\"result\":{\"data\":{\"method\":\"" + call.get("method").asText()
                + "\",\"sum\":" + (call.get("data").get(0).asInt() + call.get("data").get(1).asInt()) + "}}}"};
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.sendRaw("{\"type\":\"rpc\",\"method\":\"add\",\"data\":[2,3],\"ref\":\"r1\"}");
            JsonNode rpc = ann.next("rpc");
            assertEquals("r1", rpc.get("ref").asText());
            assertEquals(5, rpc.get("data").get("sum").asInt());
            assertEquals("add", rpc.get("data").get("method").asText());
        }
        server.stop();
        server.start(b -> b);
        try (JsonClient bob = JsonClient.connect(server)) {
            assertEquals("unavailable", error(bob, "{\"type\":\"rpc\",\"method\":\"add\"}").get("code").asText(),
                    "no backend for rpc: unavailable");
        }
    }

    @Test
    void aBackendThatHangsIsDownOrAnswersBadlyRefusesUnlessFailOpen() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0)) {
            closedPort = probe.getLocalPort();
        }
        server.start(b -> b.proxy(new ProxyConfig(Map.of("join", URI.create(url("/join")),
                "publish", URI.create("http://127.0.0.1:" + closedPort + "/down")), Duration.ofMillis(500), null, 16, false)));
        answer = call -> {
            if (call.get("channel").asText().equals("hang")) {
                try {
                    released.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return call.get("channel").asText().equals("broken") ? new Object[] {500, "oops"} : new Object[] {200, "{}"};
        };
        try (JsonClient ann = JsonClient.connect(server)) {
            JsonNode hung = error(ann, "{\"type\":\"join\",\"channel\":\"hang\"}");
            assertEquals("unavailable", hung.get("code").asText());
            assertEquals("the backend did not answer: timed out", hung.get("message").asText());
            JsonNode broken = error(ann, "{\"type\":\"join\",\"channel\":\"broken\"}");
            assertEquals("the backend answered 500", broken.get("message").asText());
            ann.join("fine", null);
            JsonNode down = error(ann, "{\"type\":\"publish\",\"channel\":\"fine\",\"text\":\"x\"}");
            assertEquals("unavailable", down.get("code").asText(), "fail closed: " + down);
        }
        server.stop();
        server.start(b -> b.proxy(new ProxyConfig(Map.of("publish", URI.create("http://127.0.0.1:" + closedPort + "/down")),
                Duration.ofMillis(500), null, 16, true)));
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("fine", null);
            ann.send("type", "publish", "channel", "fine", "text", "through", "ref", "p");
            assertEquals("through", ann.next("message").get("text").asText(), "--proxy-fail-open lets it through");
        }
    }

    @Test
    void requestsWaitInOrderWhileTheBackendThinksAndTheMetricsCountTheCalls() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("join", URI.create(url("/join"))), Duration.ofSeconds(5),
                null, 16, false)));
        answer = call -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Object[] {200, "{}"};
        };
        try (JsonClient ann = JsonClient.connect(server)) {
            // The publish follows the join before the backend has answered: it waits for the join, then goes out.
            ann.sendRaw("{\"type\":\"join\",\"channel\":\"slow\",\"ref\":\"j\"}");
            ann.sendRaw("{\"type\":\"publish\",\"channel\":\"slow\",\"text\":\"after the join\",\"ref\":\"p\"}");
            assertEquals("j", ann.next("joined").get("ref").asText());
            assertEquals("after the join", ann.next("message").get("text").asText());
            assertEquals("p", ann.next("ack").get("ref").asText());
        }
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(metrics.body().contains("pulse_proxy_seconds_bucket{event=\"join\",outcome=\"allowed\""), metrics.body());
        assertTrue(metrics.body().contains("pulse_proxy_in_flight"), "the gauge is exported");
    }

    @Test
    void requestsWaitingForTheBackendAreBoundedAndTheRestFollowInOrder() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("join", URI.create(url("/join"))), Duration.ofSeconds(10),
                null, 16, false)));
        answer = this::afterRelease;
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.sendRaw("{\"type\":\"join\",\"channel\":\"held\"}");
            assertNotNull(calls.poll(5, TimeUnit.SECONDS), "the backend is asked, and holds its answer");
            for (int i = 0; i < 40; i++) {
                ann.sendRaw("{\"type\":\"ping\",\"ref\":\"" + i + "\"}");
            }
            for (int i = 32; i < 40; i++) {
                JsonNode refused = ann.next("error");
                assertEquals("rate_limited", refused.get("code").asText());
                assertEquals(Integer.toString(i), refused.get("ref").asText(), "the 33rd and later are refused at once");
            }
            released.countDown();
            ann.next("joined");
            for (int i = 0; i < 32; i++) {
                assertEquals(Integer.toString(i), ann.next("pong").get("ref").asText(), "the 32 that waited, in order");
            }
        }
    }

    @Test
    void callsBeyondTheBoundFailAtOnce() throws Exception {
        server.start(b -> b.proxy(new ProxyConfig(Map.of("join", URI.create(url("/join"))), Duration.ofSeconds(5),
                null, 1, false)));
        answer = this::afterRelease;
        try (JsonClient waiting = JsonClient.connect(server); JsonClient refused = JsonClient.connect(server)) {
            waiting.sendRaw("{\"type\":\"join\",\"channel\":\"a\"}");
            assertNotNull(calls.poll(5, TimeUnit.SECONDS), "the first call reached the backend");
            JsonNode busy = error(refused, "{\"type\":\"join\",\"channel\":\"b\"}");
            assertEquals("unavailable", busy.get("code").asText());
            assertEquals("the backend has 1 calls waiting already", busy.get("message").asText());
            released.countDown();
            waiting.next("joined");
        }
    }
}
