package dev.pulse.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.config.PulseCommand;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP API with the JDK's HttpClient: every route, each error code, and what members receive. */
class HttpApiTest {

    private static final String KEY = "test-key-0123456789abcdef";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.apiKey(KEY).maxTextLength(100));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + KEY).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
        return JSON.readTree(response.body());
    }

    /** The error code of a response with {@code status}. */
    private static String error(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("message").asText().length() > 0);
        return body.get("code").asText();
    }

    @Test
    void withoutAKeyEveryRouteIs404SayingHowToTurnItOn() throws Exception {
        server.start(b -> b);
        HttpResponse<String> response = post("/api/publish", "{\"channel\":\"lobby\",\"text\":\"hi\"}");
        assertEquals("not_found", error(response, 404));
        assertTrue(json(response).get("message").asText().contains("--api-key"));
        assertEquals(404, get("/api/channels").statusCode());
    }

    @Test
    void aKeyShorterThan16CharactersIsRefusedAtStartUp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().apiKey("short"));
        assertTrue(e.getMessage().contains("at least 16 characters"), e.getMessage());
        assertThrows(CommandLine.ParameterException.class, () -> PulseCommand.parse("--api-key", "0123456789abcde"));
    }

    @Test
    void aMissingOrWrongKeyIs401() throws Exception {
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(uri("/api/channels")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("unauthorized", error(missing, 401));
        assertTrue(missing.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"));
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri("/api/channels"))
                .header("Authorization", "Bearer " + KEY + "x").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("unauthorized", error(wrong, 401));
    }

    @Test
    void aPublishReachesMembersAsAClientsPublishDoesAndStaysInHistory() throws Exception {
        JsonClient ann = JsonClient.connect(server);
        ann.join("orders", "ann");
        JsonNode answer = json(post("/api/publish", "{\"channel\":\"orders\",\"text\":\"order 17 shipped\",\"ref\":\"o17\"}"));
        assertEquals("orders", answer.get("channel").asText());
        assertEquals(1, answer.get("seq").asLong());
        assertEquals("o17", answer.get("ref").asText());
        JsonNode message = ann.next("message");
        assertEquals("server", message.get("from").asText());
        assertEquals("order 17 shipped", message.get("text").asText());
        assertEquals(1, message.get("seq").asLong());
        assertNull(message.get("name"));

        assertEquals(2, json(post("/api/publish", "{\"channel\":\"orders\",\"data\":{\"id\":18,\"items\":[1,2]}}"))
                .get("seq").asLong());
        JsonNode data = ann.next("message").get("data");
        assertEquals(18, data.get("id").asInt());
        assertEquals(2, data.get("items").size());

        JsonNode history = json(get("/api/channels/orders/history?since=1"));
        assertEquals(2, history.get("seq").asLong());
        assertEquals(1, history.get("messages").size());
        assertEquals(18, history.get("messages").get(0).get("data").get("id").asInt());
        assertEquals(0, history.get("missed").asLong());
        assertEquals(2, json(get("/api/channels/orders/history")).get("messages").size());
    }

    /** The issue's own command: {@code curl -H "Authorization: Bearer $KEY" -d '{...}' localhost:8080/api/publish}. */
    @Test
    void curlsDefaultContentTypeAndNoneAreTakenAsJson() throws Exception {
        for (String type : new String[] {"application/x-www-form-urlencoded", null}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri("/api/publish")).header("Authorization", "Bearer " + KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"lobby\",\"text\":\"hi\"}"));
            if (type != null) {
                request.header("Content-Type", type);
            }
            assertEquals(200, http.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode(), type);
        }
    }

    /** What {@code /ws} keeps, the API keeps: {@code NumbersAsWrittenTest} has the same numbers. */
    @Test
    void dataNumbersReachMembersAndHistoryAsWritten() throws Exception {
        String numbers = "[1e999999999,3.14159265358979323846,1E2,-0,{\"x\":-0.0e-0}]";
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("numbers", "ann");
            assertEquals(200, post("/api/publish", "{\"channel\":\"numbers\",\"data\":" + numbers + "}").statusCode());
            String message = ann.listener().next(RecordingListener.Text.class).text();
            assertTrue(message.contains("\"data\":" + numbers + ",\"ts\":"), message);
            String history = get("/api/channels/numbers/history").body();
            assertTrue(history.contains("\"data\":" + numbers + ",\"ts\":"), history);
        }
        assertEquals("bad_field", error(post("/api/publish", "{\"channel\":\"numbers\",\"data\":{\"far\":1e99999999999}}"), 400));
        assertEquals("bad_field", error(post("/api/broadcast",
                "{\"channels\":[\"numbers\"],\"data\":[1.5e-2147483647]}"), 400));
        assertEquals(1, json(get("/api/channels/numbers")).get("seq").asLong(), "the refused ones were not published");
    }

    /** An empty {@code Content-Type} is a declared type that is not JSON, answered as {@code text/plain} is: it used to drop the connection. */
    @Test
    void anEmptyContentTypeIs415AndTheConnectionStaysOpen() throws Exception {
        String body = "{\"channel\":\"a\",\"text\":\"t\"}";
        try (RawHttp raw = new RawHttp(server.port())) {
            for (String type : new String[] {"", "   "}) {
                raw.send("POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\nContent-Type:" + type
                        + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                RawHttp.Response response = raw.read();
                assertEquals(415, response.status(), response.body());
                assertEquals("unsupported_media_type", JSON.readTree(response.body()).get("code").asText());
            }
        }
    }

    @Test
    void aPublishCreatesTheChannelAndAJoinerFindsItInHistory() throws Exception {
        assertEquals(200, post("/api/publish", "{\"channel\":\"news\",\"text\":\"first\"}").statusCode());
        JsonClient bob = JsonClient.connect(server);
        JsonNode joined = bob.join("news", "bob");
        assertEquals("first", joined.get("history").get(0).get("text").asText());
    }

    @Test
    void aBroadcastWithOneBadChannelIsRefusedWhole() throws Exception {
        assertEquals("bad_channel", error(post("/api/broadcast",
                "{\"channels\":[\"alpha\",\"not a channel\"],\"text\":\"x\"}"), 400));
        assertEquals("read_only_channel", error(post("/api/broadcast",
                "{\"channels\":[\"alpha\",\"$metrics\"],\"text\":\"x\"}"), 400));
        assertEquals(0, json(get("/api/channels?prefix=alpha")).get("total").asInt(), "nothing was created");
        JsonNode results = json(post("/api/broadcast", "{\"channels\":[\"alpha\",\"beta\"],\"text\":\"x\"}")).get("results");
        assertEquals(2, results.size());
        assertEquals("alpha", results.get(0).get("channel").asText());
        assertEquals(1, results.get(1).get("seq").asLong());
    }

    @Test
    void badInputGetsAStableCodeAndStatus() throws Exception {
        assertEquals("bad_json", error(post("/api/publish", "{\"channel\":"), 400));
        assertEquals("bad_json", error(post("/api/publish", "[1,2]"), 400));
        assertEquals("bad_field", error(post("/api/publish", "{\"channel\":\"a\"}"), 400));
        assertEquals("bad_field", error(post("/api/publish", "{\"channel\":\"a\",\"text\":\"t\",\"data\":1}"), 400));
        assertEquals("bad_field", error(post("/api/publish", "{\"channel\":7,\"text\":\"t\"}"), 400));
        assertEquals("too_long", error(post("/api/publish", "{\"channel\":\"a\",\"text\":\"" + "y".repeat(101) + "\"}"), 400));
        assertEquals("read_only_channel", error(post("/api/publish", "{\"channel\":\"$logs\",\"text\":\"t\"}"), 400));
        assertEquals("bad_field", error(get("/api/channels?limit=0"), 400));
        assertEquals("not_found", error(get("/api/channels/nothing-here"), 404));
        assertEquals("not_found", error(get("/api/nothing"), 404));

        HttpResponse<String> wrongMethod = get("/api/publish");
        assertEquals("method_not_allowed", error(wrongMethod, 405));
        assertEquals("POST", wrongMethod.headers().firstValue("allow").orElse(""));
        HttpResponse<String> wrongType = http.send(HttpRequest.newBuilder(uri("/api/publish"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"a\",\"text\":\"t\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("unsupported_media_type", error(wrongType, 415));
        String huge = "{\"channel\":\"a\",\"text\":\"" + "z".repeat(HttpApi.maxBody(server.server().config()) + 1) + "\"}";
        assertEquals(413, post("/api/publish", huge).statusCode());
    }

    @Test
    void channelsAreListedByPrefixAndShownWithTheirMembers() throws Exception {
        JsonClient ann = JsonClient.connect(server);
        ann.join("team.red", "ann");
        ann.join("team.blue", "ann");
        ann.join("other", "ann");
        JsonNode list = json(get("/api/channels?prefix=team.&limit=1"));
        assertEquals(2, list.get("total").asInt());
        assertEquals(1, list.get("channels").size());
        assertEquals("team.blue", list.get("channels").get(0).get("channel").asText());
        assertTrue(list.get("more").asBoolean());
        JsonNode red = json(get("/api/channels/team.red"));
        assertEquals(1, red.get("memberCount").asInt());
        assertEquals("ann", red.get("members").get(0).get("name").asText());
        assertEquals(ann.id(), red.get("members").get(0).get("id").asText());
        assertEquals(0, red.get("seq").asLong());
    }

    @Test
    void disconnectClosesOneConnectionByIdOrAllOfAName() throws Exception {
        JsonClient ann = JsonClient.connect(server);
        ann.join("lobby", "ann");
        JsonClient ann2 = JsonClient.connect(server);
        ann2.join("lobby", "ann");
        JsonClient bob = JsonClient.connect(server);
        bob.join("lobby", "bob");

        assertEquals(1, json(post("/api/disconnect", "{\"id\":\"" + bob.id() + "\"}")).get("disconnected").asInt());
        RecordingListener.Close close = bob.listener().nextIgnoring(RecordingListener.Close.class, RecordingListener.Text.class);
        assertEquals(CloseCodes.DISCONNECTED.code(), close.code());

        assertEquals(2, json(post("/api/disconnect", "{\"name\":\"ann\",\"code\":4100,\"reason\":\"account closed\"}"))
                .get("disconnected").asInt());
        for (JsonClient client : new JsonClient[] {ann, ann2}) {
            RecordingListener.Close c = client.listener().nextIgnoring(RecordingListener.Close.class, RecordingListener.Text.class);
            assertEquals(4100, c.code());
            assertEquals("account closed", c.reason());
        }
        assertEquals("not_found", error(post("/api/disconnect", "{\"id\":\"nobody\"}"), 404));
        assertEquals("bad_field", error(post("/api/disconnect", "{\"name\":\"x\",\"code\":1000}"), 400));
        assertEquals("bad_field", error(post("/api/disconnect", "{}"), 400));
    }

    @Test
    void aTextPushedToARelayRoomReachesItsMembers() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket tail = server.connect("/rooms/build-42", listener);
        JsonNode answer = awaitDelivered("build-42", "step 1 of 3 done", 1);
        assertEquals("build-42", answer.get("room").asText());
        assertEquals("step 1 of 3 done", listener.next(RecordingListener.Text.class).text());
        tail.abort();
        assertEquals("bad_channel", error(post("/api/rooms/$x", "{\"text\":\"t\"}"), 400));
    }

    /** Pushes until the room has its member (it joins on its own loop, just after the upgrade). */
    private JsonNode awaitDelivered(String room, String text, int members) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            if (server.server().sessions().relays().get(room) != null
                    && server.server().sessions().relays().get(room).memberCount() == members) {
                JsonNode answer = json(post("/api/rooms/" + room, "{\"text\":\"" + text + "\"}"));
                assertEquals(members, answer.get("delivered").asInt());
                return answer;
            }
            assertFalse(System.nanoTime() > deadline, "the room never had " + members + " member(s)");
            Thread.onSpinWait();
        }
    }

    @Test
    void requestsAreCountedByRouteAndStatus() throws Exception {
        post("/api/publish", "{\"channel\":\"a\",\"text\":\"t\"}");
        post("/api/publish", "{\"channel\":\"a\"}");
        String metrics = http.send(HttpRequest.newBuilder(uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("pulse_api_requests_total{route=\"publish\",status=\"200\"} 1.0"), metrics);
        assertTrue(metrics.contains("pulse_api_requests_total{route=\"publish\",status=\"400\"} 1.0"));
    }

    /** A publish is answered on the channel's loop: a request pipelined behind it still gets its answer second. */
    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        String publish = "{\"channel\":\"p\",\"text\":\"t\"}";
        try (RawHttp raw = new RawHttp(server.port())) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                requests.append("POST /api/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ").append(KEY)
                        .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(publish.length())
                        .append("\r\n\r\n").append(publish);
                requests.append("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            raw.send(requests.toString());
            for (int i = 1; i <= 5; i++) {
                RawHttp.Response published = raw.read();
                assertEquals(200, published.status());
                assertEquals(i, JSON.readTree(published.body()).get("seq").asInt());
                RawHttp.Response health = raw.read();
                assertTrue(health.body().contains("\"status\""), health.body());
            }
        }
    }
}
