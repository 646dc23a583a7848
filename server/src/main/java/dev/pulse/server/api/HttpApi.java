package dev.pulse.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.relay.RelayHandler;
import dev.pulse.server.room.RelayRoom;
import dev.pulse.server.room.Room;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.session.Session;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * The HTTP API: routes under {@code /api/}, JSON in and out, each request but the description's
 * carrying {@code Authorization: Bearer KEY}. Without a configured key every route answers 404 with how
 * to turn the API on.
 *
 * <ul>
 *   <li>{@code GET /api/openapi.json}: the OpenAPI 3.1 description of all the routes, without the key.</li>
 *   <li>{@code POST /api/publish}, {@code POST /api/broadcast}: publish as a client's publish
 *       is delivered (next seq, history, the channel's slow-consumer policy), from {@code server}.</li>
 *   <li>{@code GET /api/channels}, {@code GET /api/channels/NAME},
 *       {@code GET /api/channels/NAME/history}: what channels hold.</li>
 *   <li>{@code POST /api/disconnect}: close {@code /ws} connections by id or by name.</li>
 *   <li>{@code POST /api/rooms/NAME}: send a text message to a relay room.</li>
 * </ul>
 * A request is checked whole before anything is done: a broadcast with one bad channel is refused
 * whole. Errors answer a status and {@code {"code":"...","message":"..."}} with a code of
 * {@link ErrorCode}. {@code docs/API.md} shows every request and answer; {@code openapi.json}
 * beside this class describes them, and {@link ApiRoute} lists the routes.
 */
public final class HttpApi {

    public static final String PREFIX = "/api/";
    /** The shortest key accepted: shorter ones are guessable. */
    public static final int MIN_KEY_LENGTH = 16;

    static final int MAX_BROADCAST_CHANNELS = 128;
    static final int MAX_LIST = 1_000;
    static final int DEFAULT_LIST = 100;
    /** The API's OpenAPI 3.1 description, {@code openapi.json} beside this class, served as it is. */
    private static final byte[] DESCRIPTION = description();

    private final SessionContext sessions;
    private final ServerConfig config;
    private final byte[] key;
    private final ByteBufAllocator alloc;
    private final BiConsumer<String, Integer> counter;

    /**
     * @param counter told of every request: its route (a fixed name) and its answer's status
     */
    public HttpApi(SessionContext sessions, ByteBufAllocator alloc, BiConsumer<String, Integer> counter) {
        this.sessions = sessions;
        this.config = sessions.config();
        this.key = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
        this.alloc = alloc;
        this.counter = counter;
    }

    private static byte[] description() {
        try (InputStream in = HttpApi.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing beside " + HttpApi.class.getName());
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The largest request body the API takes: a publish of the largest {@code /ws} message, and room for a broadcast's list. */
    public static int maxBody(ServerConfig config) {
        return config.wsMaxMessageSize() + 16 * 1024;
    }

    /** An error the client caused: its status and its JSON. */
    static class ApiException extends Exception {
        private static final long serialVersionUID = 1L;
        final HttpResponseStatus status;
        final ErrorCode code;

        ApiException(HttpResponseStatus status, ErrorCode code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }

    /**
     * Serves one request. The answer may complete later, on another thread (a channel's event
     * loop); the caller writes it.
     *
     * @param path the decoded path, starting with {@link #PREFIX}
     * @param query the decoded query parameters
     * @param loop the event loop of the request's connection: where channels it creates live
     */
    public CompletableFuture<FullHttpResponse> handle(FullHttpRequest request, String path, Map<String, List<String>> query,
                                                      EventExecutor loop) {
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        ApiRoute route = ApiRoute.of(parts);
        CompletableFuture<FullHttpResponse> answer;
        try {
            answer = route(request, parts, route, query, loop);
        } catch (ApiException e) {
            answer = CompletableFuture.completedFuture(error(e));
        } catch (ProtocolException e) {
            answer = CompletableFuture.completedFuture(error(badRequest(e)));
        }
        return answer.handle((response, failure) -> {
            FullHttpResponse done = response;
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                done = cause instanceof ApiException ? error((ApiException) cause)
                        : error(new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorCode.UNAVAILABLE,
                                cause instanceof java.util.concurrent.RejectedExecutionException || cause.getMessage() == null
                                        ? "the server is stopping" : cause.getMessage()));
            }
            counter.accept(route.label(), done.status().code());
            return done;
        });
    }

    private CompletableFuture<FullHttpResponse> route(FullHttpRequest request, String[] parts, ApiRoute route,
                                                      Map<String, List<String>> query, EventExecutor loop)
            throws ApiException, ProtocolException {
        if (key == null) {
            throw new ApiException(HttpResponseStatus.NOT_FOUND, ErrorCode.NOT_FOUND,
                    "the HTTP API is off: start Pulse with --api-key (or PULSE_API_KEY) to turn it on");
        }
        if (route != ApiRoute.OPENAPI) {
            authorize(request);
        }
        if (route != ApiRoute.UNKNOWN) {
            allow(request, route.method());
        }
        // Exhaustive: a route added to ApiRoute does not compile until it is answered here.
        return switch (route) {
            case PUBLISH -> publish(json(request), loop);
            case BROADCAST -> broadcast(json(request), loop);
            case CHANNELS -> listChannels(query);
            case CHANNEL -> channel(checkedName(parts[1]));
            case HISTORY -> history(checkedName(parts[1]), query);
            case DISCONNECT -> disconnect(json(request));
            case ROOMS -> pushToRoom(parts[1], json(request));
            case OPENAPI -> CompletableFuture.completedFuture(response(HttpResponseStatus.OK, DESCRIPTION));
            case UNKNOWN -> throw new ApiException(HttpResponseStatus.NOT_FOUND, ErrorCode.NOT_FOUND,
                    "no such API route: /api/" + String.join("/", parts));
        };
    }

    private void authorize(FullHttpRequest request) throws ApiException {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String bearer = "bearer ";
        byte[] given = authorization != null && authorization.regionMatches(true, 0, bearer, 0, bearer.length())
                ? authorization.substring(bearer.length()).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        // MessageDigest.isEqual takes the same time however many leading bytes match.
        if (!MessageDigest.isEqual(given, key)) {
            throw new ApiException(HttpResponseStatus.UNAUTHORIZED, ErrorCode.UNAUTHORIZED,
                    authorization == null ? "send Authorization: Bearer KEY" : "wrong API key");
        }
    }

    private static void allow(FullHttpRequest request, String method) throws ApiException {
        if (!request.method().name().equals(method) && !(method.equals("GET") && request.method().equals(HttpMethod.HEAD))) {
            throw new MethodNotAllowed(method);
        }
    }

    /** A 405 that names what the route takes, in {@code Allow}. */
    static final class MethodNotAllowed extends ApiException {
        private static final long serialVersionUID = 1L;
        final String allow;

        MethodNotAllowed(String allow) {
            super(HttpResponseStatus.METHOD_NOT_ALLOWED, ErrorCode.METHOD_NOT_ALLOWED, "this route takes " + allow);
            this.allow = allow.equals("GET") ? "GET, HEAD" : allow;
        }
    }

    /**
     * The request's body as a JSON object, after checking the content type:
     * {@code application/json}, none, or {@code application/x-www-form-urlencoded}, which is what
     * {@code curl -d} declares unless told otherwise (the body must be JSON all the same).
     */
    private static JsonNode json(FullHttpRequest request) throws ApiException, ProtocolException {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        // Netty has no MIME type for an empty value: declared, but no more JSON than text/plain is.
        CharSequence declared = type == null ? "application/json" : HttpUtil.getMimeType(type);
        String mime = declared == null ? "" : declared.toString().toLowerCase(Locale.ROOT);
        if (!mime.equals("application/json") && !mime.equals("application/x-www-form-urlencoded")) {
            throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                    "send the body as JSON, Content-Type: application/json");
        }
        return ClientRequest.readObject(request.content());
    }

    private Payload payload(JsonNode body, String ref) throws ProtocolException {
        Payload payload = ClientRequest.payload(body, ref);
        if (payload.isText()) {
            sessions.checkTextLength(payload.text(), ref);
        } else if (payload.json().length > config.wsMaxMessageSize()) {
            throw new ProtocolException(ErrorCode.TOO_LONG, "data longer than " + config.wsMaxMessageSize() + " bytes", ref);
        }
        return payload;
    }

    private static String userChannel(String name, String ref) throws ProtocolException {
        ClientRequest.checkChannel(name, ref);
        if (ClientRequest.isSystemChannel(name)) {
            throw new ProtocolException(ErrorCode.READ_ONLY_CHANNEL, name + " is published by the server only", ref);
        }
        return name;
    }

    private CompletableFuture<FullHttpResponse> publish(JsonNode body, EventExecutor loop) throws ProtocolException, ApiException {
        String ref = ClientRequest.optionalString(body, "ref", null);
        String channel = userChannel(ClientRequest.requiredString(body, "channel", ref), ref);
        Payload payload = payload(body, ref);
        return publishAll(List.of(channel), payload, loop).thenApply(seqs -> ok(g -> {
            g.writeStringField("channel", channel);
            g.writeNumberField("seq", seqs.get(0));
            writeRef(g, ref);
        }));
    }

    private CompletableFuture<FullHttpResponse> broadcast(JsonNode body, EventExecutor loop)
            throws ProtocolException, ApiException {
        String ref = ClientRequest.optionalString(body, "ref", null);
        JsonNode list = body.get("channels");
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_BROADCAST_CHANNELS) {
            throw new ProtocolException(ErrorCode.BAD_FIELD,
                    "channels must be an array of 1-" + MAX_BROADCAST_CHANNELS + " channel names", ref);
        }
        Set<String> channels = new LinkedHashSet<>();
        for (JsonNode name : list) {
            if (!name.isTextual()) {
                throw new ProtocolException(ErrorCode.BAD_FIELD, "channels must hold strings", ref);
            }
            channels.add(userChannel(name.textValue(), ref));
        }
        Payload payload = payload(body, ref);
        List<String> names = new ArrayList<>(channels);
        return publishAll(names, payload, loop).thenApply(seqs -> ok(g -> {
            g.writeArrayFieldStart("results");
            for (int i = 0; i < names.size(); i++) {
                g.writeStartObject();
                g.writeStringField("channel", names.get(i));
                g.writeNumberField("seq", seqs.get(i));
                g.writeEndObject();
            }
            g.writeEndArray();
            writeRef(g, ref);
        }));
    }

    /**
     * Publishes to every channel or to none: where channels live in rooms, all are taken (created
     * where needed) before any is published to, and given back after; in a cluster each goes
     * straight to Redis, as every channel can take it.
     */
    private CompletableFuture<List<Long>> publishAll(List<String> channels, Payload payload, EventExecutor loop)
            throws ApiException {
        List<CompletableFuture<Long>> published = new ArrayList<>();
        if (!sessions.rooms().publishesThroughRooms()) {
            for (String channel : channels) {
                published.add(sessions.rooms().publishWithoutRoom(channel, payload));
            }
        } else {
            List<Room> held = new ArrayList<>();
            for (String channel : channels) {
                Room room = sessions.rooms().acquire(channel, loop);
                if (room == null) {
                    held.forEach(sessions.rooms()::release);
                    throw new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, ErrorCode.TOO_MANY_CHANNELS,
                            "the server holds its maximum of " + config.maxChannels() + " channels");
                }
                held.add(room);
            }
            for (Room room : held) {
                published.add(room.publishFromServer(payload).whenComplete((seq, failure) -> sessions.rooms().release(room)));
            }
        }
        return CompletableFuture.allOf(published.toArray(new CompletableFuture<?>[0])).thenApply(done -> {
            List<Long> seqs = new ArrayList<>();
            published.forEach(f -> seqs.add(f.join()));
            return seqs;
        });
    }

    private CompletableFuture<FullHttpResponse> listChannels(Map<String, List<String>> query) throws ProtocolException {
        String prefix = parameter(query, "prefix", "");
        int limit = (int) number(query, "limit", DEFAULT_LIST, 1, MAX_LIST);
        return sessions.rooms().list(prefix, limit).thenApply(listing -> ok(g -> {
            g.writeNumberField("total", listing.total());
            g.writeArrayFieldStart("channels");
            for (Room.Summary channel : listing.channels()) {
                g.writeStartObject();
                g.writeStringField("channel", channel.name());
                g.writeNumberField("memberCount", channel.memberCount());
                g.writeEndObject();
            }
            g.writeEndArray();
            if (listing.total() > listing.channels().size()) {
                g.writeBooleanField("more", true);
            }
        }));
    }

    private static String checkedName(String name) throws ProtocolException {
        ClientRequest.checkChannel(name, null);
        return name;
    }

    private static <T> T found(T value, String name) {
        if (value == null) {
            throw new java.util.concurrent.CompletionException(
                    new ApiException(HttpResponseStatus.NOT_FOUND, ErrorCode.NOT_FOUND, "no channel " + name));
        }
        return value;
    }

    private CompletableFuture<FullHttpResponse> channel(String name) {
        return sessions.rooms().info(name).thenApply(found -> found(found, name)).thenApply(info -> ok(g -> {
            g.writeStringField("channel", info.name());
            g.writeStringField("epoch", info.epoch());
            g.writeNumberField("seq", info.seq());
            g.writeNumberField("memberCount", info.memberCount());
            if (info.members() != null) {
                g.writeArrayFieldStart("members");
                for (ServerMessages.MemberInfo member : info.members()) {
                    g.writeStartObject();
                    g.writeStringField("id", member.id());
                    if (member.name() != null) {
                        g.writeStringField("name", member.name());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
        }));
    }

    private CompletableFuture<FullHttpResponse> history(String name, Map<String, List<String>> query) throws ProtocolException {
        long since = number(query, "since", -1, 0, Long.MAX_VALUE);
        int limit = (int) number(query, "limit", DEFAULT_LIST, 1, MAX_LIST);
        return sessions.rooms().history(name, since, limit).thenApply(found -> found(found, name)).thenApply(page -> ok(g -> {
            g.writeStringField("channel", name);
            g.writeStringField("epoch", page.epoch());
            g.writeNumberField("seq", page.seq());
            g.writeArrayFieldStart("messages");
            for (byte[] message : page.messages()) {
                g.writeRawValue(new String(message, StandardCharsets.UTF_8));
            }
            g.writeEndArray();
            g.writeNumberField("missed", page.missed());
            if (page.more()) {
                g.writeBooleanField("more", true);
            }
        }));
    }

    private CompletableFuture<FullHttpResponse> disconnect(JsonNode body) throws ProtocolException, ApiException {
        String id = ClientRequest.optionalString(body, "id", null);
        String name = ClientRequest.optionalString(body, "name", null);
        if ((id == null) == (name == null)) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "give either id or name", null);
        }
        WebSocketCloseStatus status = closeStatus(body);
        List<Session> targets = new ArrayList<>();
        if (id != null) {
            Session session = sessions.session(id);
            if (session != null) {
                targets.add(session);
            }
        } else {
            for (Session session : sessions.allSessions()) {
                if (name.equals(session.name())) {
                    targets.add(session);
                }
            }
        }
        targets.forEach(session -> session.close(status));
        int here = targets.size();
        // The other nodes of a cluster close theirs; a single node has none.
        CompletableFuture<Integer> elsewhere = id != null && here > 0 ? CompletableFuture.completedFuture(0)
                : sessions.peers().disconnect(id, name, status);
        return elsewhere.thenApply(there -> {
            int total = here + there;
            if (total == 0) {
                throw new java.util.concurrent.CompletionException(new ApiException(HttpResponseStatus.NOT_FOUND,
                        ErrorCode.NOT_FOUND, id != null ? "no connection with id " + id : "no connection named " + name));
            }
            return ok(g -> g.writeNumberField("disconnected", total));
        });
    }

    private static WebSocketCloseStatus closeStatus(JsonNode body) throws ProtocolException {
        JsonNode code = body.get("code");
        String reason = ClientRequest.optionalString(body, "reason", null);
        if (code == null || code.isNull()) {
            return reason == null ? CloseCodes.DISCONNECTED
                    : WebSocketCloseStatus.of(CloseCodes.DISCONNECTED.code(), checkReason(reason));
        }
        if (!code.isInt() || code.intValue() < 4000 || code.intValue() > 4999) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "code must be a number from 4000 to 4999", null);
        }
        return WebSocketCloseStatus.of(code.intValue(), reason == null ? "" : checkReason(reason));
    }

    private static String checkReason(String reason) throws ProtocolException {
        if (reason.getBytes(StandardCharsets.UTF_8).length > 123) {
            throw new ProtocolException(ErrorCode.TOO_LONG, "reason longer than 123 bytes of UTF-8", null);
        }
        return reason;
    }

    private CompletableFuture<FullHttpResponse> pushToRoom(String name, JsonNode body) throws ProtocolException {
        if (!RelayHandler.isRoomName(name)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL, "a room name is 1-64 of A-Z a-z 0-9 _ - . :", null);
        }
        String text = ClientRequest.requiredString(body, "text", null);
        sessions.checkTextLength(text, null);
        CompletableFuture<Integer> sent = sessions.relays().push(name, Broadcaster.encode(alloc, WebSocketOpcode.TEXT,
                Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))));
        return sent.thenApply(delivered -> ok(g -> {
            g.writeStringField("room", name);
            g.writeNumberField("delivered", delivered);
        }));
    }

    private static String parameter(Map<String, List<String>> query, String name, String absent) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? absent : values.get(0);
    }

    private static long number(Map<String, List<String>> query, String name, long absent, long min, long max)
            throws ProtocolException {
        String value = parameter(query, name, null);
        if (value == null) {
            return absent;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ProtocolException(ErrorCode.BAD_FIELD, name + " must be a whole number from " + min + " to " + max, null);
    }

    private static void writeRef(com.fasterxml.jackson.core.JsonGenerator g, String ref) throws IOException {
        if (ref != null) {
            g.writeStringField("ref", ref);
        }
    }

    private static ApiException badRequest(ProtocolException e) {
        HttpResponseStatus status = e.code() == ErrorCode.TOO_MANY_CHANNELS ? HttpResponseStatus.SERVICE_UNAVAILABLE
                : HttpResponseStatus.BAD_REQUEST;
        return new ApiException(status, e.code(), e.getMessage());
    }

    private static FullHttpResponse ok(ServerMessages.Fields fields) {
        return response(HttpResponseStatus.OK, ServerMessages.object(fields));
    }

    private static FullHttpResponse error(ApiException e) {
        FullHttpResponse response = response(e.status, ServerMessages.object(g -> {
            g.writeStringField("code", e.code.wire());
            g.writeStringField("message", e.getMessage());
        }));
        if (e instanceof MethodNotAllowed) {
            response.headers().set(HttpHeaderNames.ALLOW, ((MethodNotAllowed) e).allow);
        } else if (e.code == ErrorCode.UNAUTHORIZED) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"pulse-api\"");
        }
        return response;
    }

    private static FullHttpResponse response(HttpResponseStatus status, byte[] json) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(json));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
