package dev.pulse.server.pipeline;

import dev.pulse.codec.PerMessageDeflateAgreement;
import dev.pulse.codec.PerMessageDeflateHandshaker;
import dev.pulse.codec.WebSocketHandshakeException;
import dev.pulse.codec.WebSocketServerHandshaker;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.api.HttpApi;
import dev.pulse.server.socketio.EngineIoServer;
import dev.pulse.server.stream.StreamFormat;
import dev.pulse.server.web.StaticFiles;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.CharsetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Owns a connection while it speaks HTTP: answers {@code /health}, refuses what it cannot serve,
 * and upgrades valid WebSocket handshakes.
 *
 * <ul>
 *   <li>Upgrade request to an endpoint: 101 and the pipeline switches to the WebSocket codec, or
 *       400/426 from {@link WebSocketServerHandshaker}, or 403/401/503/429 from {@link AccessPolicy},
 *       and the connection closes.</li>
 *   <li>Plain GET on an endpoint: 426 Upgrade Required; other methods there: 405.</li>
 *   <li>{@code GET /health}: 200 with JSON (503 while shutting down).</li>
 *   <li>{@code GET /sse} and {@code GET /stream}: the connection becomes a stream
 *       ({@link dev.pulse.server.stream.StreamDoor}), or is refused and closed.</li>
 *   <li>Any other path: 404, for plain requests and upgrade attempts alike.</li>
 *   <li>A request the HTTP decoder could not parse, a request target with a malformed percent
 *       escape, or more than one {@code Host} header (RFC 9112 §3.2): 400, then close.</li>
 * </ul>
 * A connection must deliver each complete request within the handshake timeout, counted from
 * accept and again after each answered request, otherwise it is closed; a request answered after
 * the HTTP lifetime is answered with {@code Connection: close}, so no connection speaks HTTP for
 * longer than the lifetime plus the handshake timeout. While responses are not being read (the channel is not writable)
 * no further request is read. Expects {@link HttpServerCodec} and {@link HttpObjectAggregator}
 * before it.
 */
public final class HttpRequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(HttpRequestRouter.class);

    static final String HEALTH_PATH = "/health";
    static final String METRICS_PATH = "/metrics";

    /** Requests a connection may pipeline behind one whose answer is still being made. */
    static final int MAX_PIPELINED = 16;

    private final HttpRoutes routes;
    private final long handshakeTimeoutMillis;

    private ScheduledFuture<?> handshakeTimeout;
    /** When this connection's HTTP phase must end, in {@link System#nanoTime()} terms. */
    private long lifetimeEnd;
    /** Whether an answer is being made elsewhere (an API call on a channel's loop): requests then wait their turn. */
    private boolean answering;
    /** Requests that arrived while answering, retained, in order. */
    private ArrayDeque<FullHttpRequest> waiting;

    HttpRequestRouter(HttpRoutes routes) {
        this.routes = routes;
        this.handshakeTimeoutMillis = routes.config.handshakeTimeout().toMillis();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lifetimeEnd = System.nanoTime() + routes.config.httpLifetime().toNanos();
        startHandshakeTimeout(ctx);
    }

    /** On upgrade and on close alike: the connection no longer counts as one speaking HTTP. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelHandshakeTimeout();
        releaseWaiting();
        routes.leftHttpPhase.run();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A client that sends requests without reading the answers stops being read from.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelHandshakeTimeout();
        ctx.fireChannelInactive();
    }

    /** A TLS handshake that failed (bad client hello, no common cipher, timed out) is a handshake failure of its own. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent && !((SslHandshakeCompletionEvent) event).isSuccess()) {
            log.debug("{} TLS handshake failed: {}", ctx.channel(), ((SslHandshakeCompletionEvent) event).cause().toString());
            routes.stats.onHandshakeFailure("tls");
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        cancelHandshakeTimeout();
        if (answering) {
            // Answers go out in the order of the requests (RFC 9112 §9.3.2).
            if (waiting == null) {
                waiting = new ArrayDeque<>();
            }
            if (waiting.size() >= MAX_PIPELINED) {
                log.debug("{} more than {} requests pipelined: closing", ctx.channel(), MAX_PIPELINED);
                ctx.close();
                return;
            }
            waiting.add(request.retain());
            return;
        }
        serve(ctx, request);
    }

    private void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, request, text(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request"), true);
            return;
        }
        if (request.headers().getAll(HttpHeaderNames.HOST).size() > 1) {
            routes.stats.onHandshakeFailure("bad_request");
            respond(ctx, request, text(HttpResponseStatus.BAD_REQUEST, "more than one Host header"), true);
            return;
        }
        String path;
        Map<String, List<String>> query;
        try {
            QueryStringDecoder target = new QueryStringDecoder(request.uri());
            path = target.path();
            // Decoded now, so that no later reader of the query (the token) meets a bad escape.
            query = target.parameters();
        } catch (IllegalArgumentException e) {
            routes.stats.onHandshakeFailure("bad_request");
            respond(ctx, request, text(HttpResponseStatus.BAD_REQUEST, "malformed percent escape in the request target"), true);
            return;
        }
        // Other upgrades (h2c, which the JDK's HttpClient offers) are ignored, as RFC 9110 §7.8 allows.
        boolean upgradeAttempt = WebSocketServerHandshaker.isUpgradeAttempt(request);
        WebSocketEndpoint endpoint = routes.endpoint(path);
        StaticFiles.File file = routes.files.get(path);
        StreamFormat stream = routes.stream == null || upgradeAttempt ? null : StreamFormat.of(path);
        if (routes.engineIo != null && EngineIoServer.PATH.equals(path)) {
            serveEngineIo(ctx, request, query, upgradeAttempt);
        } else if (stream != null) {
            FullHttpResponse refusal = routes.stream.open(ctx, request, query, stream);
            if (refusal != null) {
                routes.stats.onHandshakeFailure(refusal.status().code() == 429 ? "ip_full"
                        : refusal.status().code() == 503 ? "server_full" : "bad_request");
                respond(ctx, request, refusal, true);
            }
        } else if (path.startsWith(HttpApi.PREFIX)) {
            answerLater(ctx, request, routes.api.handle(request, path, query, ctx.channel().eventLoop()));
        } else if (endpoint != null && (upgradeAttempt || file == null)) {
            // A WebSocket path; "/" is one too, for upgrades only: a plain GET there gets the page.
            if (upgradeAttempt) {
                upgrade(ctx, request, endpoint, () -> endpoint.newHandler(path));
            } else if (isGetOrHead(request)) {
                FullHttpResponse response = text(HttpResponseStatus.UPGRADE_REQUIRED,
                        path + " is a WebSocket endpoint: connect with a WebSocket client");
                response.headers()
                        .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                        .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
                respond(ctx, request, response, false);
            } else {
                respond(ctx, request, methodNotAllowed(), false);
            }
        } else if (upgradeAttempt) {
            routes.stats.onHandshakeFailure("not_found");
            respond(ctx, request, text(HttpResponseStatus.NOT_FOUND, "no such path: " + path), true);
        } else if (HEALTH_PATH.equals(path) || METRICS_PATH.equals(path) || file != null) {
            if (!isGetOrHead(request)) {
                respond(ctx, request, methodNotAllowed(), false);
            } else if (HEALTH_PATH.equals(path)) {
                respond(ctx, request, healthResponse(), false);
            } else if (METRICS_PATH.equals(path)) {
                respond(ctx, request, body(HttpResponseStatus.OK, routes.metrics.scrape().getBytes(CharsetUtil.UTF_8),
                        "text/plain; version=0.0.4; charset=utf-8"), false);
            } else {
                respond(ctx, request, body(HttpResponseStatus.OK, file.bytes(), file.contentType()), false);
            }
        } else {
            respond(ctx, request, text(HttpResponseStatus.NOT_FOUND, "no such path: " + path), false);
        }
    }

    /**
     * Writes an answer made elsewhere once it is ready, on this connection's loop; requests that
     * arrive meanwhile wait, and are served in order after it.
     */
    private void answerLater(ChannelHandlerContext ctx, FullHttpRequest request, CompletableFuture<FullHttpResponse> answer) {
        if (answer.isDone()) {
            respond(ctx, request, answer.join(), false);
            return;
        }
        answering = true;
        request.retain();
        answer.whenComplete((response, failure) -> ctx.executor().execute(() -> {
            try {
                if (ctx.channel().isActive() && ctx.pipeline().context(this) != null) {
                    respond(ctx, request, response, false);
                } else {
                    response.release();
                }
            } finally {
                request.release();
            }
            answering = false;
            serveWaiting(ctx);
        }));
    }

    private void serveWaiting(ChannelHandlerContext ctx) {
        while (!answering && waiting != null && !waiting.isEmpty()) {
            FullHttpRequest next = waiting.poll();
            try {
                if (WebSocketServerHandshaker.isUpgradeAttempt(next)) {
                    // Bytes behind it were taken for HTTP already: it cannot become a WebSocket now.
                    respond(ctx, next, text(HttpResponseStatus.BAD_REQUEST, "an upgrade must not be pipelined"), true);
                } else {
                    cancelHandshakeTimeout();
                    serve(ctx, next);
                }
            } finally {
                next.release();
            }
        }
    }

    private void releaseWaiting() {
        if (waiting != null) {
            waiting.forEach(FullHttpRequest::release);
            waiting.clear();
        }
    }

    /** socket.io's {@code /socket.io/}: long-polling requests, or a WebSocket that opens or upgrades a session. */
    private void serveEngineIo(ChannelHandlerContext ctx, FullHttpRequest request, Map<String, List<String>> query,
                               boolean upgradeAttempt) {
        if (!upgradeAttempt) {
            answerLater(ctx, request, routes.engineIo.serve(request, query, ctx.channel()));
            return;
        }
        FullHttpResponse refusal = routes.engineIo.checkUpgrade(query);
        if (refusal != null) {
            routes.stats.onHandshakeFailure("bad_request");
            respond(ctx, request, refusal, true);
            return;
        }
        upgrade(ctx, request, routes.socketIoEndpoint, () -> routes.engineIo.webSocketHandler(query));
    }

    /**
     * @param handler makes the endpoint's handler once the upgrade is admitted
     */
    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, WebSocketEndpoint endpoint,
                         Supplier<ChannelHandler> handler) {
        FullHttpResponse response;
        try {
            response = endpoint.handshaker().handshake(request);
        } catch (WebSocketHandshakeException e) {
            log.debug("{} handshake refused with {}: {}", ctx.channel(), e.status().code(), e.getMessage());
            routes.stats.onHandshakeFailure(HttpResponseStatus.UPGRADE_REQUIRED.equals(e.status()) ? "version" : "bad_request");
            respond(ctx, request, WebSocketServerHandshaker.refusal(e), true);
            return;
        }
        AccessPolicy.Refusal refusal = routes.access.admit(ctx.channel(), request, endpoint.authenticated());
        if (refusal != null) {
            log.debug("{} handshake refused with {}: {}", ctx.channel(), refusal.status().code(), refusal.reason());
            routes.stats.onHandshakeFailure(refusal.metric());
            FullHttpResponse refused = text(refusal.status(), refusal.reason());
            if (HttpResponseStatus.UNAUTHORIZED.equals(refusal.status())) {
                refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"pulse\"");
            }
            response.release();
            respond(ctx, request, refused, true);
            return;
        }
        PerMessageDeflateAgreement agreement = routes.deflate == null ? null
                : PerMessageDeflateHandshaker.negotiate(request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS),
                        routes.deflate);
        if (agreement != null) {
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, agreement.responseHeader());
        }
        // Encoded now, sent only once the endpoint is in place: whatever the endpoint does when it is
        // added (joining a relay room on another loop, say) is under way before the client can act on
        // the 101, even if this thread is descheduled in between; and its greeting leaves with the 101.
        ctx.write(response);
        ChannelPipeline pipeline = ctx.pipeline();
        // From here on writes (an endpoint's greeting, say) must bypass HTTP.
        pipeline.get(HttpServerCodec.class).removeOutboundHandler();
        routes.webSocketPipeline.install(pipeline, ctx.name(), endpoint, handler.get(), routes.deflate, agreement);
        // The codec goes last: bytes it still holds are handed to the WebSocket decoder.
        pipeline.remove(HttpObjectAggregator.class);
        pipeline.remove(this);
        pipeline.remove(HttpServerCodec.class);
        ctx.channel().flush();
        log.debug("{} upgraded to WebSocket on {}", ctx.channel(), endpoint.path());
    }

    private FullHttpResponse healthResponse() {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                routes.health.isReady() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                Unpooled.wrappedBuffer(routes.health.toJson()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    private static FullHttpResponse methodNotAllowed() {
        FullHttpResponse response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed");
        response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        return response;
    }

    private static FullHttpResponse body(HttpResponseStatus status, byte[] bytes, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        return response;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body + "\n", CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8");
        return response;
    }

    /** Sends a complete response, keeping the connection only when both sides want it kept. */
    private void respond(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response, boolean close) {
        boolean keepAlive = !close && HttpUtil.isKeepAlive(request) && System.nanoTime() < lifetimeEnd
                && !response.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        if (keepAlive) {
            if (!request.protocolVersion().isKeepAliveDefault()) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.writeAndFlush(response);
            startHandshakeTimeout(ctx);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static boolean isGetOrHead(FullHttpRequest request) {
        return HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
    }

    /**
     * One timer for both limits: the time for the next request, and in no case past the end of
     * the lifetime plus that time (a request begun just before the end may still complete and be
     * answered with {@code Connection: close}).
     */
    private void startHandshakeTimeout(ChannelHandlerContext ctx) {
        cancelHandshakeTimeout();
        long timeout = TimeUnit.MILLISECONDS.toNanos(handshakeTimeoutMillis);
        long delay = Math.min(timeout, lifetimeEnd + timeout - System.nanoTime());
        handshakeTimeout = ctx.executor().schedule(() -> {
            log.debug("{} no complete request in time: closing", ctx.channel());
            routes.stats.onHandshakeFailure("timeout");
            ctx.close();
        }, Math.max(0, delay), TimeUnit.NANOSECONDS);
    }

    private void cancelHandshakeTimeout() {
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
            handshakeTimeout = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} closing after error in the HTTP phase: {}", ctx.channel(), cause.toString());
        ctx.close();
    }
}
