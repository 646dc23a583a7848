package dev.pulse.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.TestServer;
import io.netty.handler.codec.http.HttpUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code openapi.json} against a real server over loopback. The description is fetched from
 * {@code GET /api/openapi.json}; every operation in it is called with a valid request and with a
 * request for each status and error code it lists, and each answer must be listed for that
 * operation and conform to the schema given for it (headers, media type, body). The other way
 * round: every status and code listed must have been answered, every route of {@link ApiRoute}
 * is described and no other, a method a path does not list is 405, any other path is 404, and
 * every path is 404 while the API is off. A route, status, code or field that drifts fails here.
 */
class OpenApiTest {

    private static final String KEY = "openapi-test-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A value for each path parameter of the description: what the calls create. */
    private static final Map<String, String> SAMPLES = Map.of("channel", "orders", "room", "build-1");
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    @RegisterExtension
    final TestServer server = new TestServer();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private JsonNode description;
    private JsonSchemaSubset schemas;
    /** What the calls were answered, as {@link #listed} writes it: {@code POST /api/publish 400 bad_json}. */
    private final Set<String> answered = new TreeSet<>();

    /** One request, and the status (and, for an error, the code) it must be answered with. */
    private static final class Call {
        final String method;
        final String target;
        final String body;
        String contentType = "application/json";
        String key = KEY;
        int status = 200;
        String code;

        Call(String method, String target, String body) {
            this.method = method;
            this.target = target;
            this.body = body;
        }

        /** The same method and target, with {@code body}, and the defaults otherwise. */
        Call again(String body) {
            return new Call(method, target, body);
        }

        Call answers(int status, String code) {
            this.status = status;
            this.code = code;
            return this;
        }

        Call answers(int status) {
            return answers(status, null);
        }

        Call key(String key) {
            this.key = key;
            return this;
        }

        Call type(String contentType) {
            this.contentType = contentType;
            return this;
        }

        @Override
        public String toString() {
            return method + " " + target + (body == null ? "" : " " + abbreviated(body));
        }
    }

    private static Call get(String target) {
        return new Call("GET", target, null);
    }

    private static Call post(String target, String body) {
        return new Call("POST", target, body);
    }

    private static String abbreviated(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }

    @Test
    void everyStatusAndCodeTheDescriptionListsIsAnsweredAsItSays() throws Exception {
        server.start(b -> b.apiKey(KEY).maxTextLength(100).wsMaxMessageSize(1024));
        describe();
        String tooLong = "y".repeat(101);
        String badName = "n".repeat(65);
        try (JsonClient ann = JsonClient.connect(server); JsonClient mallory = JsonClient.connect(server)) {
            ann.join("orders", "ann");
            mallory.join("lobby", "mallory");
            publishFromAClient(ann, "orders", "from ann");
            List<Call> calls = List.of(
                    get("/api/openapi.json").key(null),

                    post("/api/publish", "{\"channel\":\"orders\",\"text\":\"order 17 shipped\",\"ref\":\"o17\"}"),
                    post("/api/publish", "{\"channel\":\"orders\",\"data\":{\"id\":18,\"status\":\"paid\"}}"),
                    post("/api/publish", "{\"channel\":").answers(400, "bad_json"),
                    post("/api/publish", "{\"channel\":\"orders\"}").answers(400, "bad_field"),
                    post("/api/publish", "{\"channel\":\"not a channel\",\"text\":\"t\"}").answers(400, "bad_channel"),
                    post("/api/publish", "{\"channel\":\"orders\",\"text\":\"" + tooLong + "\"}").answers(400, "too_long"),
                    post("/api/publish", "{\"channel\":\"$logs\",\"text\":\"t\"}").answers(400, "read_only_channel"),

                    post("/api/broadcast", "{\"channels\":[\"orders\",\"audit\"],\"text\":\"maintenance at 22:00\",\"ref\":\"m\"}"),
                    post("/api/broadcast", "[\"orders\"]").answers(400, "bad_json"),
                    post("/api/broadcast", "{\"channels\":[],\"text\":\"t\"}").answers(400, "bad_field"),
                    post("/api/broadcast", "{\"channels\":[\"orders\",\"not a channel\"],\"text\":\"t\"}").answers(400, "bad_channel"),
                    post("/api/broadcast", "{\"channels\":[\"orders\"],\"data\":\"" + "d".repeat(1100) + "\"}").answers(400, "too_long"),
                    post("/api/broadcast", "{\"channels\":[\"orders\",\"$metrics\"],\"text\":\"t\"}").answers(400, "read_only_channel"),

                    get("/api/channels?prefix=ord&limit=1"),
                    get("/api/channels?limit=1001").answers(400, "bad_field"),

                    get("/api/channels/orders"),
                    get("/api/channels/" + badName).answers(400, "bad_channel"),
                    get("/api/channels/never-made").answers(404, "not_found"),

                    get("/api/channels/orders/history?since=0&limit=10"),
                    get("/api/channels/" + badName + "/history").answers(400, "bad_channel"),
                    get("/api/channels/orders/history?since=-1").answers(400, "bad_field"),
                    get("/api/channels/never-made/history").answers(404, "not_found"),

                    post("/api/disconnect", "{\"name\":\"mallory\",\"code\":4100,\"reason\":\"account closed\"}"),
                    post("/api/disconnect", "{\"id\":").answers(400, "bad_json"),
                    post("/api/disconnect", "{}").answers(400, "bad_field"),
                    post("/api/disconnect", "{\"name\":\"ann\",\"reason\":\"" + "r".repeat(124) + "\"}").answers(400, "too_long"),
                    post("/api/disconnect", "{\"id\":\"nobody\"}").answers(404, "not_found"),

                    post("/api/rooms/build-1", "{\"text\":\"step 3 of 5: tests passed\"}"),
                    post("/api/rooms/build-1", "text").answers(400, "bad_json"),
                    post("/api/rooms/build-1", "{\"text\":3}").answers(400, "bad_field"),
                    post("/api/rooms/$build", "{\"text\":\"t\"}").answers(400, "bad_channel"),
                    post("/api/rooms/build-1", "{\"text\":\"" + tooLong + "\"}").answers(400, "too_long"));
            Set<String> operations = new TreeSet<>();
            for (Call call : calls) {
                if (call.status == 200 && operations.add(call.method + " " + template(call.target))) {
                    for (Call refused : refusedAsEveryOperationIs(call)) {
                        call(refused);
                    }
                }
                call(call);
            }
            for (Call call : atTheBoundsOfEachQueryParameter()) {
                call(call);
            }
        }

        // A table full of channels that all have members: nowhere to publish to a new one.
        server.start(b -> b.apiKey(KEY).maxChannels(1));
        try (JsonClient holder = JsonClient.connect(server)) {
            holder.join("held", "holder");
            call(post("/api/publish", "{\"channel\":\"another\",\"text\":\"t\"}").answers(503, "too_many_channels"));
            call(post("/api/broadcast", "{\"channels\":[\"another\"],\"text\":\"t\"}").answers(503, "too_many_channels"));
        }

        Set<String> listed = listed();
        // A node of a cluster answers those, in the test below.
        listed.removeIf(answer -> answer.endsWith(" unavailable"));
        assertAnsweredAsListed(listed);
    }

    /** Every status and code listed was answered to some call, and no call was answered otherwise. */
    private void assertAnsweredAsListed(Set<String> listed) {
        Set<String> neverAnswered = new TreeSet<>(listed);
        neverAnswered.removeAll(answered);
        Set<String> unlisted = new TreeSet<>(answered);
        unlisted.removeAll(listed);
        assertTrue(neverAnswered.isEmpty(), "listed by the description, but no call was answered so: " + neverAnswered);
        assertTrue(unlisted.isEmpty(), "answered, but not listed by the description: " + unlisted);
    }

    /**
     * The calls every operation gets from what the description says of it, made from a valid
     * call of it: without the key and with a wrong one where it takes the key (401), with a body
     * over the limit (413) and declared as another type (415) where it takes a body.
     */
    private List<Call> refusedAsEveryOperationIs(Call valid) {
        JsonNode operation = description.get("paths").get(template(valid.target)).get(valid.method.toLowerCase(Locale.ROOT));
        List<Call> calls = new ArrayList<>();
        JsonNode security = operation.has("security") ? operation.get("security") : description.get("security");
        if (!security.isEmpty()) {
            calls.add(valid.again(valid.body).key(null).answers(401, "unauthorized"));
            calls.add(valid.again(valid.body).key(KEY + "x").answers(401, "unauthorized"));
        }
        if (operation.has("requestBody")) {
            String huge = "{\"pad\":\"" + "z".repeat(HttpApi.maxBody(server.server().config())) + "\"}";
            calls.add(valid.again(huge).answers(413));
            calls.add(valid.again(valid.body).type("text/plain").answers(415, "unsupported_media_type"));
            calls.add(valid.again(valid.body).type("").answers(415, "unsupported_media_type"));
        }
        return calls;
    }

    /** A message from a connection, with its name, so that history holds both kinds. */
    private static void publishFromAClient(JsonClient client, String channel, String text) throws Exception {
        client.send("type", "publish", "channel", channel, "text", text);
        JsonNode message;
        do {
            message = client.next();
        } while (!"message".equals(message.path("type").asText()));
        assertEquals(text, message.path("text").asText(), message::toString);
    }

    /**
     * For each integer query parameter of a GET operation: its minimum and maximum are taken, one
     * past them is {@code bad_field}.
     */
    private List<Call> atTheBoundsOfEachQueryParameter() {
        List<Call> calls = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = description.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (JsonNode parameter : path.getValue().path("get").path("parameters")) {
                JsonNode resolved = deref(parameter);
                JsonNode schema = deref(resolved.get("schema"));
                if (!resolved.get("in").asText().equals("query") || !"integer".equals(schema.path("type").asText())) {
                    continue;
                }
                String target = sample(path.getKey()) + "?" + resolved.get("name").asText() + "=";
                for (String bound : List.of("minimum", "maximum")) {
                    if (schema.has(bound)) {
                        long at = schema.get(bound).asLong();
                        calls.add(get(target + at));
                        calls.add(get(target + (bound.equals("minimum") ? at - 1 : at + 1)).answers(400, "bad_field"));
                    }
                }
            }
        }
        assertTrue(calls.size() >= 8, "limit on two operations and since: " + calls);
        return calls;
    }

    @Test
    void aNodeCutOffFromRedisAnswers503UnavailableWhereTheDescriptionSaysSo() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            server.start(b -> b.apiKey(KEY).redis(redis.uri()));
            describe();
            redis.kill();
            // Commands are refused at once once the node knows Redis is gone: /health says so.
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (http.send(HttpRequest.newBuilder(uri("/health")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() != 503) {
                assertTrue(System.nanoTime() < deadline, "the node never noticed that Redis is gone");
                Thread.sleep(50);
            }
            for (Call call : List.of(
                    post("/api/publish", "{\"channel\":\"orders\",\"text\":\"t\"}"),
                    post("/api/broadcast", "{\"channels\":[\"orders\",\"audit\"],\"text\":\"t\"}"),
                    get("/api/channels"),
                    get("/api/channels/orders"),
                    get("/api/channels/orders/history"),
                    post("/api/disconnect", "{\"name\":\"ann\"}"))) {
                call(call.answers(503, "unavailable"));
            }
        }
        Set<String> listed = listed();
        listed.removeIf(answer -> !answer.endsWith(" unavailable"));
        assertAnsweredAsListed(listed);
    }

    @Test
    void everyRouteTheServerServesIsDescribedAndNoOther() throws Exception {
        server.start(b -> b.apiKey(KEY));
        describe();
        Set<String> served = new TreeSet<>();
        for (ApiRoute route : ApiRoute.values()) {
            if (route != ApiRoute.UNKNOWN) {
                served.add(route.method() + " " + route.path());
            }
        }
        Set<String> described = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = description.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            methodsOf(path.getValue()).forEach(method -> described.add(method + " " + path.getKey()));
        }
        assertEquals(served, described);

        call(post("/api/publish", "{\"channel\":\"orders\",\"text\":\"made for HEAD\"}"));
        JsonNode methodNotAllowed = description.at("/components/responses/MethodNotAllowed");
        for (Iterator<Map.Entry<String, JsonNode>> paths = description.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            Set<String> listed = methodsOf(path.getValue());
            if (listed.contains("GET")) {
                listed.add("HEAD");
            }
            for (String method : METHODS) {
                HttpResponse<String> response = send(method, sample(path.getKey()), KEY, null, null);
                String what = method + " " + path.getKey() + " -> " + response.statusCode() + " " + response.body();
                if (method.equals("HEAD") && listed.contains("HEAD")) {
                    assertEquals(200, response.statusCode(), what);
                    assertEquals("", response.body(), what);
                } else if (!listed.contains(method)) {
                    assertEquals(405, response.statusCode(), what);
                    if (!method.equals("HEAD")) {
                        checkAnswer(methodNotAllowed, response, what, "method_not_allowed");
                    }
                    assertEquals(String.join(", ", listed), response.headers().firstValue("allow").orElse(""), what);
                }
            }
        }

        JsonNode notFound = description.at("/components/responses/NotFound");
        for (String unknown : List.of("/api/", "/api/nothing", "/api/publish/more", "/api/channels/orders/history/more",
                "/api/rooms", "/api/openapi.yaml")) {
            HttpResponse<String> response = send("GET", unknown, KEY, null, null);
            String what = "GET " + unknown + " -> " + response.statusCode() + " " + response.body();
            assertEquals(404, response.statusCode(), what);
            checkAnswer(notFound, response, what, "not_found");
        }
    }

    /** As the rest of {@code /api/}: the description is not served either while there is no key. */
    @Test
    void withoutAKeyEveryPathOfTheDescriptionIs404() throws Exception {
        server.start(b -> b);
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            description = JSON.readTree(in);
        }
        schemas = new JsonSchemaSubset(description);
        JsonNode notFound = description.at("/components/responses/NotFound");
        for (Iterator<Map.Entry<String, JsonNode>> paths = description.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (String method : methodsOf(path.getValue())) {
                HttpResponse<String> response = send(method, sample(path.getKey()), KEY, method.equals("POST") ? "{}" : null,
                        "application/json");
                String what = method + " " + path.getKey() + " -> " + response.statusCode() + " " + response.body();
                assertEquals(404, response.statusCode(), what);
                assertTrue(checkAnswer(notFound, response, what, "not_found").get("message").asText().contains("--api-key"), what);
            }
        }
    }

    /** Fetches the description from the server, without the key, and checks it is the resource as it is. */
    private void describe() throws Exception {
        HttpResponse<String> response = send("GET", "/api/openapi.json", null, null, null);
        assertEquals(200, response.statusCode(), response.body());
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            assertNotNull(in, "openapi.json beside HttpApi");
            assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), response.body());
        }
        description = JSON.readTree(response.body());
        assertEquals("3.1.0", description.path("openapi").asText());
        schemas = new JsonSchemaSubset(description);
    }

    private URI uri(String target) {
        return URI.create("http://127.0.0.1:" + server.port() + target);
    }

    private HttpResponse<String> send(String method, String target, String key, String body, String contentType)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(target)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Authorization", authorization(key));
        }
        if (body != null && contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The header the description's security scheme asks for, with {@code key}. */
    private String authorization(String key) {
        JsonNode required = description.path("security");
        assertEquals(1, required.size(), "one way to authenticate: " + required);
        String name = required.get(0).fieldNames().next();
        JsonNode scheme = description.path("components").path("securitySchemes").path(name);
        assertEquals("http", scheme.path("type").asText(), scheme::toString);
        assertEquals("bearer", scheme.path("scheme").asText(), scheme::toString);
        return "Bearer " + key;
    }

    /**
     * Sends {@code call}, checks its answer is listed for its operation and conforms to the
     * description, and records it.
     */
    private void call(Call call) throws Exception {
        HttpResponse<String> response = send(call.method, call.target, call.key, call.body, call.contentType);
        String what = call + " -> " + response.statusCode() + " " + abbreviated(response.body());
        assertEquals(call.status, response.statusCode(), what);
        String template = template(call.target);
        JsonNode operation = description.path("paths").path(template).path(call.method.toLowerCase(Locale.ROOT));
        assertFalse(operation.isMissingNode(), "the description has no " + call.method + " " + template);
        JsonNode listed = operation.path("responses").path(Integer.toString(response.statusCode()));
        assertFalse(listed.isMissingNode(), "the description does not list " + what);
        checkAnswer(listed, response, what, call.code);
        if (response.statusCode() == 200 && call.body != null) {
            JsonNode schema = operation.at("/requestBody/content/application~1json/schema");
            assertFalse(schema.isMissingNode(), "no request body described for " + what);
            List<String> problems = schemas.problems(schema, JSON.readTree(call.body));
            assertTrue(problems.isEmpty(), "the description refuses a request the server takes: " + call + ": " + problems);
        }
        answered.add(call.method + " " + template + " " + response.statusCode() + (call.code == null ? "" : " " + call.code));
    }

    /** Checks an answer against a response of the description: headers, media type, body; returns the body (null when none). */
    private JsonNode checkAnswer(JsonNode listed, HttpResponse<String> response, String what, String code) throws Exception {
        JsonNode described = deref(listed);
        for (Iterator<String> headers = described.path("headers").fieldNames(); headers.hasNext(); ) {
            String header = headers.next();
            assertTrue(response.headers().firstValue(header).isPresent(), "no " + header + " header: " + what);
        }
        if (!described.has("content")) {
            assertEquals("", response.body(), "the description gives no body: " + what);
            assertEquals(null, code, "an error code without a body: " + what);
            return null;
        }
        JsonNode content = described.get("content");
        assertEquals(1, content.size(), "one media type: " + content);
        String mediaType = content.fieldNames().next();
        String given = response.headers().firstValue("content-type").orElse("");
        assertEquals(mediaType, String.valueOf(HttpUtil.getMimeType(given)), what);
        assertFalse(response.body().isEmpty(), "no body: " + what);
        JsonNode body = JSON.readTree(response.body());
        List<String> problems = schemas.problems(content.get(mediaType).get("schema"), body);
        assertTrue(problems.isEmpty(), what + ": " + problems);
        if (code != null) {
            assertEquals(code, body.path("code").asText(), what);
        }
        return body;
    }

    /**
     * Every status of every operation, once for each error code its schema allows:
     * {@code POST /api/publish 400 bad_json}, {@code POST /api/publish 200}.
     */
    private Set<String> listed() {
        Set<String> listed = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = description.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (String method : methodsOf(path.getValue())) {
                JsonNode responses = path.getValue().get(method.toLowerCase(Locale.ROOT)).get("responses");
                for (Iterator<Map.Entry<String, JsonNode>> each = responses.fields(); each.hasNext(); ) {
                    Map.Entry<String, JsonNode> response = each.next();
                    String status = method + " " + path.getKey() + " " + response.getKey();
                    JsonNode schema = deref(response.getValue()).at("/content/application~1json/schema");
                    Set<String> codes = schema.isMissingNode() ? null : codes(schema);
                    if (codes == null) {
                        listed.add(status);
                    } else {
                        codes.forEach(code -> listed.add(status + " " + code));
                    }
                }
            }
        }
        return listed;
    }

    /** The error codes a schema allows ({@code code}'s enum, narrowed by each part of an allOf), or null for no error. */
    private Set<String> codes(JsonNode schema) {
        JsonNode resolved = deref(schema);
        Set<String> codes = null;
        JsonNode allowed = resolved.path("properties").path("code").path("enum");
        if (allowed.isArray()) {
            codes = new TreeSet<>();
            for (JsonNode code : allowed) {
                codes.add(code.asText());
            }
        }
        for (JsonNode part : resolved.path("allOf")) {
            Set<String> narrowed = codes(part);
            if (narrowed != null) {
                if (codes == null) {
                    codes = narrowed;
                } else {
                    codes.retainAll(narrowed);
                }
            }
        }
        return codes;
    }

    private JsonNode deref(JsonNode node) {
        return node.has("$ref") ? deref(schemas.resolve(node.get("$ref").asText())) : node;
    }

    /** The methods a path item lists, upper case. */
    private static Set<String> methodsOf(JsonNode pathItem) {
        Set<String> methods = new LinkedHashSet<>();
        for (String method : METHODS) {
            if (pathItem.has(method.toLowerCase(Locale.ROOT))) {
                methods.add(method);
            }
        }
        return methods;
    }

    /** The description's path that {@code target} (a path and a query) is of. */
    private String template(String target) {
        String[] parts = target.split("\\?", 2)[0].split("/", -1);
        for (Iterator<String> paths = description.get("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            String[] segments = path.split("/", -1);
            boolean matches = segments.length == parts.length;
            for (int i = 0; matches && i < parts.length; i++) {
                matches = segments[i].startsWith("{") || segments[i].equals(parts[i]);
            }
            if (matches) {
                return path;
            }
        }
        throw new AssertionError("no path of the description is " + target);
    }

    /** A path of the description with each parameter filled in from {@link #SAMPLES}. */
    private static String sample(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (segments[i].startsWith("{")) {
                String value = SAMPLES.get(segments[i].substring(1, segments[i].length() - 1));
                assertNotNull(value, "no sample value for " + segments[i] + " in " + path);
                segments[i] = value;
            }
        }
        return String.join("/", segments);
    }
}
