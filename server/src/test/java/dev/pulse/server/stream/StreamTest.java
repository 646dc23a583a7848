package dev.pulse.server.stream;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.Who;
import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code /sse} and {@code /stream} on real sockets: events with ids a reconnecting client resumes
 * from with nothing lost and nothing twice, {@code curl -N} printing the live feed, a client that
 * never reads held to the queue bound, the connection slots and per-address bound shared with the
 * other doors, tokens (query and cookie) and channel rights, heartbeats, and every refusal.
 */
class StreamTest {

    private static final String KEY = "stream-test-api-key-0123456789";
    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @RegisterExtension
    final TestServer server = new TestServer();

    /** A raw HTTP/1.1 reader of one stream: its status, headers, then events or lines as they come. */
    private final class Stream implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final int status;
        final Map<String, String> headers = new java.util.HashMap<>();
        String body = "";

        Stream(String target, String... extraHeaders) throws IOException {
            this(target, 0, extraHeaders);
        }

        Stream(String target, int receiveBuffer, String... extraHeaders) throws IOException {
            socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (String header : extraHeaders) {
                request.append(header).append("\r\n");
            }
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            String line;
            while (!(line = in.readLine()).isEmpty()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
            }
            if (status != 200) {
                char[] rest = new char[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
                int read = 0;
                while (read < rest.length) {
                    read += in.read(rest, read, rest.length - read);
                }
                body = new String(rest);
            }
        }

        /** The next chunk's payload (chunked transfer coding), or null at the end of the response. */
        String chunk() throws IOException {
            String size = in.readLine();
            if (size == null) {
                return null;
            }
            int length = Integer.parseInt(size.trim(), 16);
            if (length == 0) {
                return null;
            }
            char[] data = new char[length];
            int read = 0;
            while (read < length) {
                int n = in.read(data, read, length - read);
                if (n < 0) {
                    return null;
                }
                read += n;
            }
            in.readLine();
            // Chunks hold UTF-8; the test's payloads are ASCII, so chars and bytes agree.
            return new String(data);
        }

        /** The next SSE event (comments and retry lines skipped unless {@code comments}), or null at the end. */
        Event event(boolean comments) throws IOException {
            StringBuilder text = new StringBuilder();
            while (true) {
                int end = text.indexOf("\n\n");
                if (end >= 0) {
                    Event event = Event.parse(text.substring(0, end));
                    text.delete(0, end + 2);
                    pending = text.toString();
                    if (event.comment != null && !comments || event.retry) {
                        text = new StringBuilder(pending);
                        continue;
                    }
                    return event;
                }
                if (!pending.isEmpty()) {
                    text.append(pending);
                    pending = "";
                    continue;
                }
                String chunk = chunk();
                if (chunk == null) {
                    return null;
                }
                text.append(chunk);
            }
        }

        private String pending = "";

        /** The next event of {@code type} ({@code message} for channel messages), passing over others. */
        Event next(String type) throws IOException {
            Event event;
            do {
                event = event(false);
                assertNotNull(event, "the stream ended before a " + type + " event");
            } while (!type.equals(event.type));
            return event;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private record Event(String type, String id, String data, String comment, boolean retry) {
        static Event parse(String block) {
            String type = "message";
            String id = null;
            StringBuilder data = new StringBuilder();
            String comment = null;
            boolean retry = false;
            for (String line : block.split("\n")) {
                if (line.startsWith(":")) {
                    comment = line.substring(1).trim();
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                } else if (line.startsWith("retry: ")) {
                    retry = true;
                }
            }
            return new Event(type, id, data.toString(), comment, retry);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(data);
        }
    }

    private HttpResponse<String> publish(String channel, String text) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/publish"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("channel", channel).put("text", text).toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        return answer;
    }

    @Test
    void eventsCarryIdsAndAReconnectWithLastEventIdGetsWhatWasMissedOnceAndInOrder() throws Exception {
        server.start(b -> b.apiKey(KEY));
        String id;
        try (Stream first = new Stream("/sse?channel=alpha&channel=beta&name=watcher")) {
            assertEquals(200, first.status);
            assertTrue(first.headers.get("content-type").startsWith("text/event-stream"), first.headers.toString());
            assertEquals("no", first.headers.get("x-accel-buffering"));
            assertEquals("chunked", first.headers.get("transfer-encoding"));
            assertTrue(first.headers.get("cache-control").contains("no-cache"));
            assertEquals("welcome", first.event(false).type);
            first.next("joined");
            first.next("joined");
            for (int n = 1; n <= 5; n++) {
                publish("alpha", "a" + n);
            }
            for (int n = 1; n <= 3; n++) {
                publish("beta", "b" + n);
            }
            Event last = null;
            for (int n = 0; n < 8; n++) {
                last = first.next("message");
                assertNotNull(last.id, "every message event has an id");
            }
            id = last.id;
            String[] positions = id.split(" ");
            assertEquals(2, positions.length, "one position per channel, in the request's order: " + id);
            assertTrue(positions[0].endsWith(":5") && positions[1].endsWith(":3"), id);
        }
        // Gone: what is published meanwhile comes back on reconnecting, as a browser's EventSource does.
        for (int n = 6; n <= 9; n++) {
            publish("alpha", "a" + n);
        }
        publish("beta", "b4");
        publish("beta", "b5");
        try (Stream again = new Stream("/sse?channel=alpha&channel=beta&name=watcher", "Last-Event-ID: " + id)) {
            assertEquals(200, again.status);
            List<String> texts = new ArrayList<>();
            JsonNode joinedAlpha = null;
            while (texts.size() < 6) {
                Event event = again.event(false);
                assertNotNull(event);
                if ("joined".equals(event.type) && joinedAlpha == null) {
                    joinedAlpha = event.json();
                    assertEquals(0, joinedAlpha.get("missed").asLong(), "nothing fell out of history");
                }
                if ("message".equals(event.type)) {
                    texts.add(event.json().get("text").asText());
                }
            }
            assertEquals(List.of("a6", "a7", "a8", "a9", "b4", "b5"), texts, "exactly what was missed, in order");
            publish("alpha", "a10");
            Event live = again.next("message");
            assertEquals("a10", live.json().get("text").asText(), "nothing twice: the next is the live one");
            assertTrue(live.id.startsWith(id.split(" ")[0].substring(0, id.split(" ")[0].lastIndexOf(':'))),
                    "the same epoch: " + live.id);
        }
    }

    @Test
    void aResumeFromBeyondHistorySaysWhatWasMissed() throws Exception {
        server.start(b -> b.apiKey(KEY).historySize(3));
        for (int n = 1; n <= 10; n++) {
            publish("short", "s" + n);
        }
        String epoch;
        try (Stream first = new Stream("/sse?channel=short")) {
            epoch = first.next("joined").json().get("epoch").asText();
        }
        try (Stream again = new Stream("/sse?channel=short&lastEventId=" + epoch + ":0")) {
            JsonNode joined = again.next("joined").json();
            assertEquals(7, joined.get("missed").asLong(), joined::toString);
            assertEquals("s8", again.next("message").json().get("text").asText());
        }
    }

    @Test
    void curlPrintsTheLiveFeedOfTheNdjsonStream() throws Exception {
        ExternalClient.require("curl", "apt-get install curl", "curl", "--version");
        server.start(b -> b.apiKey(KEY));
        Process curl = new ProcessBuilder("curl", "-sN", "--max-time", "30",
                "http://127.0.0.1:" + server.port() + "/stream?channel=builds").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(curl.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("welcome", JSON.readTree(out.readLine()).get("type").asText());
            assertEquals("joined", JSON.readTree(out.readLine()).get("type").asText());
            for (int n = 1; n <= 3; n++) {
                publish("builds", "build " + n + " passed");
            }
            for (int n = 1; n <= 3; n++) {
                JsonNode line = JSON.readTree(out.readLine());
                assertEquals("message", line.get("type").asText());
                assertEquals("build " + n + " passed", line.get("text").asText());
                assertEquals(n, line.get("seq").asInt());
            }
        } finally {
            curl.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStreamThatIsNeverReadIsClosedAtTheQueueBound() throws Exception {
        server.start(b -> b.apiKey(KEY).maxQueuedBytes(256 * 1024));
        Stream stalled = new Stream("/sse?channel=firehose", 4096);
        stalled.next("joined");
        String big = "x".repeat(4000);
        // The stream never reads again: its queue fills, then the session is ended as a slow consumer.
        for (int n = 0; n < 2000 && !metrics().contains("pulse_slow_consumer_total{policy=\"disconnect\"} 1"); n++) {
            publish("firehose", big);
        }
        assertTrue(metrics().contains("pulse_slow_consumer_total{policy=\"disconnect\"} 1"), "the stream was dropped");
        long queued = metric("pulse_queued_bytes");
        assertTrue(queued <= 256 * 1024 + 8192, "queued at most the bound: " + queued);
        awaitSessions(0);
        stalled.close();
    }

    @Test
    void streamsTakeConnectionSlotsWithinThePerAddressBoundOfEveryDoor() throws Exception {
        server.start(b -> b.apiKey(KEY).maxConnectionsPerIp(2));
        try (Stream one = new Stream("/sse?channel=a"); Stream two = new Stream("/stream?channel=a")) {
            assertEquals(200, one.status);
            assertEquals(200, two.status);
            one.next("joined");
            try (Stream three = new Stream("/sse?channel=a")) {
                assertEquals(429, three.status, three.body);
            }
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> server.connect("/ws", new RecordingListener()));
            assertEquals(429, ((java.net.http.WebSocketHandshakeException) refused.getCause()).getResponse().statusCode(),
                    "a WebSocket counts against the same bound");
            JsonNode health = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(2, health.get("connectionsByKind").get("stream").asInt(), health::toString);
        }
    }

    @Test
    void aStreamTakesTokensByQueryOrCookieAndObeysTheChannelsRights() throws Exception {
        server.start(b -> b.apiKey(KEY).jwtSecret(SECRET).namespaces(List.of(new Namespace("private-*",
                Map.of(Right.JOIN, Who.GRANT, Right.PUBLISH, Who.GRANT, Right.PRESENCE, Who.GRANT, Right.HISTORY, Who.GRANT),
                false, null))));
        try (Stream anonymous = new Stream("/sse?channel=news")) {
            assertEquals(401, anonymous.status, anonymous.body);
            assertTrue(anonymous.body.contains("a token is required"), anonymous.body);
        }
        String ann = JWT.create().withSubject("ann").withExpiresAt(Instant.now().plusSeconds(60)).sign(Algorithm.HMAC256(SECRET));
        try (Stream byQuery = new Stream("/sse?channel=news&token=" + ann)) {
            assertEquals(200, byQuery.status);
            JsonNode welcome = byQuery.next("welcome").json();
            assertNotNull(welcome.get("id"));
            assertEquals("ann", byQuery.next("joined").json().get("members").get(0).get("name").asText());
        }
        try (Stream byCookie = new Stream("/sse?channel=news&channel=private-x", "Cookie: theme=dark; pulse_token=" + ann)) {
            assertEquals(200, byCookie.status);
            byCookie.next("joined");
            JsonNode refused = byCookie.next("pulse-error").json();
            assertEquals("forbidden", refused.get("code").asText(), refused::toString);
        }
    }

    @Test
    void anHttp10ClientGetsTheEventsUnchunkedUntilTheConnectionEnds() throws Exception {
        server.start(b -> b.apiKey(KEY));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /sse?channel=old HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(in.readLine().contains(" 200 "));
            List<String> head = new ArrayList<>();
            String line;
            while (!(line = in.readLine()).isEmpty()) {
                head.add(line.toLowerCase(java.util.Locale.ROOT));
            }
            assertFalse(head.stream().anyMatch(h -> h.startsWith("transfer-encoding")), "HTTP/1.0 has no chunks: " + head);
            assertTrue(head.contains("connection: close"), head.toString());
            assertEquals("retry: 1000", in.readLine());
            assertEquals("", in.readLine());
            assertEquals("event: welcome", in.readLine());
        }
    }

    @Test
    void refusalsComeBeforeTheStreamWithAStatusAndAReason() throws Exception {
        server.start(b -> b.apiKey(KEY).maxJoinsPerConnection(2));
        assertRefused(400, "GET /sse HTTP/1.1", "name the channels");
        assertRefused(400, "GET /sse?channel=bad%20name HTTP/1.1", "channel");
        assertRefused(400, "GET /stream?channel=a&channel=b&channel=c HTTP/1.1", "at most 2 channels");
        assertRefused(400, "GET /sse?channel=a&channel=a HTTP/1.1", "named twice");
        assertRefused(405, "POST /sse?channel=a HTTP/1.1", "takes GET");
    }

    private void assertRefused(int status, String requestLine, String reason) throws IOException {
        RawHttp.Response response = RawHttp.exchange(server.port(), requestLine + "\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
        assertEquals(status, response.status(), requestLine);
        assertTrue(response.body().contains(reason), response.body());
    }

    @Test
    void aQuietStreamGetsHeartbeatsAndAClientThatKeepsSendingIsClosed() throws Exception {
        server.start(b -> b.apiKey(KEY).pingInterval(Duration.ofMillis(200)).pingTimeout(Duration.ofSeconds(2)));
        try (Stream sse = new Stream("/sse?channel=quiet")) {
            sse.next("joined");
            Event ping = sse.event(true);
            assertEquals("ping", ping.comment, "an SSE comment keeps proxies from timing the stream out");
        }
        try (Stream lines = new Stream("/stream?channel=quiet")) {
            lines.chunk();
            lines.chunk();
            assertEquals("{\"type\":\"ping\"}\n", lines.chunk());
            OutputStream out = lines.socket.getOutputStream();
            byte[] junk = new byte[8192];
            java.util.Arrays.fill(junk, (byte) 'x');
            try {
                for (int i = 0; i < 64; i++) {
                    out.write(junk);
                    out.flush();
                }
            } catch (IOException closed) {
                // the server closed it before all was sent
            }
            awaitSessions(0);
        }
    }

    private String metrics() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private long metric(String name) throws Exception {
        for (String line : metrics().split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        fail("no metric " + name);
        return -1;
    }

    /** Waits until {@code pulse_sessions{door="stream"}} is {@code count}. */
    private void awaitSessions(int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            String text = metrics();
            for (String line : text.split("\n")) {
                if (line.startsWith("pulse_sessions{door=\"stream\"}")
                        && (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) == count) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("stream sessions never came to " + count + ": "
                        + text.lines().filter(l -> l.startsWith("pulse_sessions")).toList());
            }
            Thread.sleep(50);
        }
    }
}
