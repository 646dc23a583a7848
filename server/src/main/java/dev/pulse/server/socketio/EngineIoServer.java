package dev.pulse.server.socketio;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.forward.NodeForwarder;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.CharsetUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Engine.IO protocol 4 on {@code /socket.io/}: opens sessions, answers long-polling GETs and POSTs,
 * and says whether a WebSocket may open a session or upgrade one. Each session is an
 * {@link EngineIoChannel} with a {@link SocketIoCodec} and, once the client has connected to the
 * namespace, Pulse's {@link dev.pulse.server.session.SessionHandler}: socket.io clients are sessions
 * like {@code /ws} ones.
 *
 * <p>Refusals are the reference server's: HTTP 400 with {@code {"code":N,"message":...}}, code 0
 * unknown transport, 1 unknown session id, 2 bad handshake method, 3 bad request, 5 unsupported
 * protocol version; 403 with code 4 for an origin that is not allowed; 413 for a body over
 * {@code maxPayload}; 503/429 when the connection limits are reached, and 429 past
 * {@code --max-polling-sessions-per-ip} or {@code --max-polling-sessions-per-connection}. A
 * polling session holds a connection slot; so does every WebSocket, an upgrade's too (the
 * session's own slot is then given back), and only one WebSocket may claim a session: another is
 * accepted and closed at once with 1008, as the protocol says a server MUST. Cross-origin polling gets
 * CORS headers for the origins the server allows.
 *
 * <p>In a cluster, a session's id starts with the id of the node that holds it: a GET or POST naming
 * a session of another node is forwarded there by the {@link NodeForwarder} and its answer relayed
 * (503 with code 3 past {@code --max-forwarded-requests}; 400 code 1 when that node cannot answer),
 * so clients need no sticky sessions. A request forwarded here already is answered here, and a
 * WebSocket naming another node's session is refused with 400 code 1 (the client stays on polling).
 */
public final class EngineIoServer {

    /** Where socket.io clients connect by default. */
    public static final String PATH = "/socket.io/";

    /** Sessions opened on an HTTP connection and still open. */
    private static final AttributeKey<AtomicInteger> OPENED = AttributeKey.valueOf("pulse.socketio.opened");

    private static final String OK = "ok";

    private final SessionContext context;
    private final AccessPolicy access;
    private final WriteBufferWaterMark waterMark;
    private final ConcurrentMap<String, EngineIoChannel> sessions = new ConcurrentHashMap<>();
    private final WebSocketDecoderConfig decoderConfig;
    private final int maxPayload;
    private final String openFields;
    private final long pingIntervalMillis;
    private final long pingTimeoutMillis;
    private final int maxSessionsPerConnection;
    /** Sends requests for other nodes' sessions there; null for a single node. */
    private final NodeForwarder forwarder;

    /** A single node's: every session is here. */
    public EngineIoServer(SessionContext context, AccessPolicy access, WriteBufferWaterMark waterMark) {
        this(context, access, waterMark, null);
    }

    /** @param forwarder a node's of a cluster: where requests for other nodes' sessions go */
    public EngineIoServer(SessionContext context, AccessPolicy access, WriteBufferWaterMark waterMark,
                          NodeForwarder forwarder) {
        ServerConfig config = context.config();
        this.context = context;
        this.forwarder = forwarder;
        this.access = access;
        this.waterMark = waterMark;
        this.maxPayload = config.wsMaxMessageSize();
        this.decoderConfig = WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(maxPayload)
                .maxMessagePayloadLength(maxPayload)
                .build();
        this.maxSessionsPerConnection = config.maxPollingSessionsPerConnection();
        this.pingIntervalMillis = config.pingInterval().toMillis();
        // Pulse's --ping-timeout counts from the last sign of life, Engine.IO's from the ping: silence is
        // noticed after --ping-timeout on both.
        this.pingTimeoutMillis = config.pingTimeout().toMillis() - pingIntervalMillis;
        this.openFields = "\"pingInterval\":" + pingIntervalMillis + ",\"pingTimeout\":" + pingTimeoutMillis
                + ",\"maxPayload\":" + maxPayload + '}';
    }

    /** The most bytes a client may send in one POST or WebSocket message. */
    public int maxPayload() {
        return maxPayload;
    }

    /** The limits of a session's WebSocket messages. */
    public WebSocketDecoderConfig decoderConfig() {
        return decoderConfig;
    }

    /** Open sessions, on either transport. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Ends every session (the server is stopping): waiting polls get the close packet. */
    public void closeAll() {
        sessions.values().forEach(EngineIoChannel::close);
    }

    /**
     * Answers a request that is not a WebSocket upgrade. Call on {@code connection}'s event loop.
     *
     * @param query the decoded query of the request target
     */
    public CompletableFuture<FullHttpResponse> serve(FullHttpRequest request, Map<String, List<String>> query,
                                                     Channel connection) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        AccessPolicy.Refusal refusal = access.checkOrigin(request);
        if (refusal != null) {
            return done(error(HttpResponseStatus.FORBIDDEN, 4, "Forbidden", null));
        }
        if (HttpMethod.OPTIONS.equals(request.method())) {
            // Whatever its sid, any node answers a preflight alike: it is never forwarded.
            return done(preflight(request, origin));
        }
        FullHttpResponse invalid = checkQuery(query, "polling");
        if (invalid != null) {
            return done(cors(invalid, origin));
        }
        String sid = first(query, "sid");
        boolean get = HttpMethod.GET.equals(request.method());
        if (sid == null) {
            return done(cors(get ? open(request, connection) : error(HttpResponseStatus.BAD_REQUEST, 2,
                    "Bad handshake method", null), origin));
        }
        EngineIoChannel session = sessions.get(sid);
        if (session == null) {
            return elsewhere(request, sid, connection, origin);
        }
        if (get) {
            CompletableFuture<String> body = new CompletableFuture<>();
            session.eventLoop().execute(() -> session.poll(connection).whenComplete((text, failure) -> body.complete(text)));
            return body.thenApply(text -> text == null
                    ? error(HttpResponseStatus.BAD_REQUEST, 3, "Bad request", origin)
                    : cors(text(HttpResponseStatus.OK, text), origin));
        }
        if (!HttpMethod.POST.equals(request.method())) {
            return done(error(HttpResponseStatus.BAD_REQUEST, 2, "Bad handshake method", origin));
        }
        if (request.content().readableBytes() > maxPayload) {
            session.close();
            return done(error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, 3, "Payload too large", origin));
        }
        List<EngineIoPacket> packets;
        try {
            packets = EngineIoPacket.parsePayload(utf8(request), maxPayload);
        } catch (MalformedPacketException | CharacterCodingException e) {
            session.close();
            return done(error(HttpResponseStatus.BAD_REQUEST, 3, "Bad request", origin));
        }
        CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        session.eventLoop().execute(() -> {
            boolean accepted = session.isActive() && !session.onWebSocket();
            if (accepted) {
                session.receive(packets);
            }
            answer.complete(accepted ? cors(text(HttpResponseStatus.OK, OK), origin)
                    : error(HttpResponseStatus.BAD_REQUEST, 3, "Bad request", origin));
        });
        return answer;
    }

    /**
     * A request for a session this node does not hold: forwarded to the node whose id leads the
     * sid, unless it was forwarded here already; else, or when that node does not answer, unknown.
     */
    private CompletableFuture<FullHttpResponse> elsewhere(FullHttpRequest request, String sid, Channel connection,
                                                          String origin) {
        String node = forwarder == null || request.headers().contains(NodeForwarder.FORWARDED_BY) ? null
                : forwarder.ownerOf(sid);
        if (node == null) {
            return done(unknownSession(origin));
        }
        CompletableFuture<FullHttpResponse> answer = forwarder.forward(node, request, connection);
        if (answer == null) {
            return done(error(HttpResponseStatus.SERVICE_UNAVAILABLE, 3, "too many requests forwarded to other nodes",
                    origin));
        }
        return answer.thenApply(relayed -> relayed != null ? relayed : unknownSession(origin));
    }

    private static FullHttpResponse unknownSession(String origin) {
        return error(HttpResponseStatus.BAD_REQUEST, 1, "Session ID unknown", origin);
    }

    /**
     * Whether a WebSocket upgrade on {@code /socket.io/} may go ahead: null when it may (then the
     * connection takes the handler of {@link #webSocketHandler}), else the refusal to send.
     */
    public FullHttpResponse checkUpgrade(Map<String, List<String>> query) {
        FullHttpResponse invalid = checkQuery(query, "websocket");
        if (invalid != null) {
            return invalid;
        }
        String sid = first(query, "sid");
        if (sid == null) {
            return null;
        }
        // Another node's session too: a WebSocket is not spliced between nodes, and the client keeps polling.
        return sessions.containsKey(sid) ? null : unknownSession(null);
    }

    /** The handler of an admitted WebSocket: it opens a session, or upgrades the one named by {@code sid}. */
    public ChannelHandler webSocketHandler(Map<String, List<String>> query) {
        return new EngineIoWebSocketHandler(this, first(query, "sid"));
    }

    // ---- sessions ----

    /** Opens a session carried by {@code webSocket} from the start; call on its event loop. */
    EngineIoChannel openOnWebSocket(Channel webSocket) {
        EngineIoChannel session = newSession(webSocket);
        session.attr(AccessPolicy.HEADERS).set(webSocket.attr(AccessPolicy.HEADERS).get());
        webSocket.writeAndFlush(dev.pulse.codec.WebSocketFrame.text(openPacket(session, false)), webSocket.voidPromise());
        session.useWebSocket(webSocket);
        return session;
    }

    EngineIoChannel session(String sid) {
        return sessions.get(sid);
    }

    private FullHttpResponse open(FullHttpRequest request, Channel connection) {
        // Opening costs a client no connection: each HTTP connection may hold only a few at once.
        AtomicInteger opened = connection.attr(OPENED).setIfAbsent(new AtomicInteger());
        if (opened == null) {
            opened = connection.attr(OPENED).get();
        }
        if (opened.incrementAndGet() > maxSessionsPerConnection) {
            opened.decrementAndGet();
            return error(HttpResponseStatus.TOO_MANY_REQUESTS, 3, "too many sessions opened on this connection", null);
        }
        EngineIoChannel session = new EngineIoChannel(context.newConnectionId(), connection, waterMark,
                pingIntervalMillis, pingTimeoutMillis, this::closed);
        AccessPolicy.Admission admission = access.admit(session, request, false, ConnectionLimiter.Kind.POLLING);
        if (admission.refusal() != null) {
            // Never registered: nothing to close.
            opened.decrementAndGet();
            return error(admission.refusal().status(), 3, admission.refusal().reason(), null);
        }
        AtomicInteger heldBy = opened;
        session.closeFuture().addListener(closed -> heldBy.decrementAndGet());
        session.pollingSlot(admission.slot());
        register(session, connection);
        return text(HttpResponseStatus.OK, openPacket(session, true));
    }

    private EngineIoChannel newSession(Channel transport) {
        EngineIoChannel session = new EngineIoChannel(context.newConnectionId(), transport, waterMark,
                pingIntervalMillis, pingTimeoutMillis, this::closed);
        register(session, transport);
        return session;
    }

    /** On the transport's own loop, so that a session opened on a WebSocket costs no hand-over. */
    private void register(EngineIoChannel channel, Channel transport) {
        Session session = context.newSession(Session.Kind.SOCKET_IO, channel);
        channel.session(session);
        channel.pipeline().addLast("socket.io", new SocketIoCodec(context, session)).addLast("errors", SessionErrors.INSTANCE);
        sessions.put(channel.sid(), channel);
        transport.eventLoop().register(channel);
    }

    private void closed(EngineIoChannel session) {
        sessions.remove(session.sid(), session);
    }

    private String openPacket(EngineIoChannel session, boolean polling) {
        return "0{\"sid\":\"" + session.sid() + "\",\"upgrades\":" + (polling ? "[\"websocket\"]" : "[]") + ','
                + openFields;
    }

    /** The end of a session's pipeline: an error that reaches it ends the session, logged without a stack trace. */
    @ChannelHandler.Sharable
    static final class SessionErrors extends ChannelInboundHandlerAdapter {
        static final SessionErrors INSTANCE = new SessionErrors();
        private static final Logger log = LoggerFactory.getLogger(SessionErrors.class);

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("{} closing the session after an unexpected error: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    // ---- HTTP ----

    private static FullHttpResponse checkQuery(Map<String, List<String>> query, String transport) {
        if (!"4".equals(first(query, "EIO"))) {
            return error(HttpResponseStatus.BAD_REQUEST, 5, "Unsupported protocol version", null);
        }
        String asked = first(query, "transport");
        if (!"polling".equals(asked) && !"websocket".equals(asked)) {
            return error(HttpResponseStatus.BAD_REQUEST, 0, "Transport unknown", null);
        }
        if (!transport.equals(asked)) {
            return error(HttpResponseStatus.BAD_REQUEST, 3, "Bad request", null);
        }
        return null;
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static String utf8(FullHttpRequest request) throws CharacterCodingException {
        return CharsetUtil.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(request.content().nioBuffer())
                .toString();
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, CharsetUtil.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    private static FullHttpResponse error(HttpResponseStatus status, int code, String message, String origin) {
        String json = "{\"code\":" + code + ",\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(json, CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        return cors(response, origin);
    }

    /** The CORS answer for an allowed origin (the only kind that gets this far); none without an Origin. */
    private static FullHttpResponse cors(FullHttpResponse response, String origin) {
        if (origin != null) {
            response.headers()
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
                    .set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        return response;
    }

    private static FullHttpResponse preflight(FullHttpRequest request, String origin) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT,
                Unpooled.EMPTY_BUFFER);
        response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST");
        String headers = request.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        if (headers != null) {
            response.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, headers);
        }
        response.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, 86400);
        return cors(response, origin);
    }
}
