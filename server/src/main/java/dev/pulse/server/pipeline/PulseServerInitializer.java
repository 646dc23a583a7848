package dev.pulse.server.pipeline;

import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.api.HttpApi;
import dev.pulse.server.socketio.EngineIoServer;
import dev.pulse.server.stream.StreamDoor;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.health.HealthCheck;
import dev.pulse.server.monitor.ServerMetrics;
import dev.pulse.server.monitor.ServerStats;
import dev.pulse.server.tls.TlsContext;
import dev.pulse.server.heartbeat.Heartbeat;
import dev.pulse.server.web.StaticFiles;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sets up each accepted connection for its HTTP phase: {@link HttpServerCodec}, a small
 * {@link HttpObjectAggregator} for the handshake request, {@link HttpRequestRouter}, and a last
 * handler that keeps errors a client causes out of the WARN log. At most
 * {@code --max-http-connections} connections are in their HTTP phase at once (each holds up to
 * 16 KiB of request buffers): at the limit the server stops accepting ({@link #acceptGate()} on the
 * listening channel) and new connections wait in the kernel's backlog until one leaves the HTTP
 * phase, so a reconnect storm is served late rather than refused.
 */
public final class PulseServerInitializer extends ChannelInitializer<Channel> {

    /** The opening handshake has no body; anything larger than this is not a handshake. */
    static final int MAX_REQUEST_BODY = 8 * 1024;
    static final int MAX_INITIAL_LINE = 4096;
    static final int MAX_HEADER_SIZE = 8192;

    private final ChannelGroup allConnections;
    private final ServerConfig config;
    private final ServerStats stats;
    private final HttpRoutes routes;
    private final int apiMaxBody;
    private final int socketIoMaxBody;
    private final TlsContext tls;
    /** Connections in their HTTP phase, bounded by {@code --max-http-connections}. */
    private final AtomicInteger httpConnections = new AtomicInteger();
    private final AcceptGate acceptGate = new AcceptGate();
    /** The listening channel, known once it has accepted. */
    private volatile Channel listener;

    public PulseServerInitializer(List<WebSocketEndpoint> endpoints, HealthCheck health, ServerMetrics metrics,
                                  ServerStats stats, ChannelGroup allConnections,
                                  ServerConfig config, AccessPolicy access, HttpApi api, TlsContext tls,
                                  PerMessageDeflateConfig deflate, EngineIoServer engineIo, StreamDoor stream) {
        this.tls = tls;
        this.stats = stats;
        this.allConnections = allConnections;
        this.config = config;
        WebSocketPipeline webSocketPipeline = new WebSocketPipeline(config.closeTimeout().toMillis(), stats,
                new Heartbeat(config.pingInterval(), config.pingTimeout()));
        this.routes = new HttpRoutes(endpoints, health, config, access, metrics,
                stats, webSocketPipeline, new StaticFiles(), api, this::leftHttpPhase, deflate, engineIo, stream);
        this.apiMaxBody = config.apiKey() == null ? MAX_REQUEST_BODY : Math.max(MAX_REQUEST_BODY, HttpApi.maxBody(config));
        this.socketIoMaxBody = engineIo == null ? MAX_REQUEST_BODY : Math.max(MAX_REQUEST_BODY, engineIo.maxPayload());
    }

    /** The handler of the listening channel, which counts each connection into its HTTP phase as it is accepted. */
    public ChannelHandler acceptGate() {
        return acceptGate;
    }

    /**
     * Runs on the listening channel's loop, for each accepted connection before it is registered:
     * at the limit, accepting stops at once, so none is accepted beyond it.
     */
    @ChannelHandler.Sharable
    final class AcceptGate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object child) {
            listener = ctx.channel();
            if (httpConnections.incrementAndGet() >= config.maxHttpConnections()) {
                ctx.channel().config().setAutoRead(false);
                // One may have left meanwhile, before it could see that accepting had stopped.
                if (httpConnections.get() < config.maxHttpConnections()) {
                    ctx.channel().config().setAutoRead(true);
                }
            }
            ctx.fireChannelRead(child);
        }
    }

    /** A connection upgraded or closed: its place is free, and accepting resumes if it had stopped. */
    private void leftHttpPhase() {
        Channel accepting = listener;
        if (httpConnections.decrementAndGet() < config.maxHttpConnections() && accepting != null
                && !accepting.config().isAutoRead()) {
            accepting.eventLoop().execute(() -> {
                if (httpConnections.get() < config.maxHttpConnections()) {
                    accepting.config().setAutoRead(true);
                }
            });
        }
    }

    @Override
    protected void initChannel(Channel ch) {
        if (httpConnections.get() > config.maxHttpConnections()) {
            // Counted by the accept gate, which stops accepting at the limit: only a server built without it gets here.
            stats.onHandshakeFailure("http_full");
            ch.close().addListener(closed -> leftHttpPhase());
            return;
        }
        allConnections.add(ch);
        if (tls != null) {
            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
        }
        ch.pipeline()
                .addLast("http-codec", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, MAX_REQUEST_BODY))
                .addLast("http-aggregator", new RequestAggregator(apiMaxBody, socketIoMaxBody))
                .addLast("http-router", new HttpRequestRouter(routes))
                .addLast("errors", ConnectionErrorHandler.INSTANCE);
    }

    /**
     * Takes request bodies of up to 8 KiB, up to the API's limit on {@code /api/} paths (when the
     * API is on) and up to socket.io's {@code maxPayload} on {@code /socket.io/}; a declared length
     * over the limit is answered 413 before the body is read.
     */
    static final class RequestAggregator extends HttpObjectAggregator {
        private final int apiMaxBody;
        private final int socketIoMaxBody;

        RequestAggregator(int apiMaxBody, int socketIoMaxBody) {
            super(Math.max(apiMaxBody, socketIoMaxBody));
            this.apiMaxBody = apiMaxBody;
            this.socketIoMaxBody = socketIoMaxBody;
        }

        @Override
        protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
            String uri = start instanceof HttpRequest ? ((HttpRequest) start).uri() : "";
            int limit = uri.startsWith(HttpApi.PREFIX) ? apiMaxBody
                    : uri.startsWith(EngineIoServer.PATH) ? socketIoMaxBody : MAX_REQUEST_BODY;
            return HttpUtil.getContentLength(start, -1L) > limit;
        }
    }

    /**
     * The end of every pipeline: an error that reaches it closes the connection. Running out of
     * memory (a direct buffer the allocator could not get) is logged in one line per connection,
     * without a stack trace, which would say nothing more and flood the log of a loaded server.
     */
    @io.netty.channel.ChannelHandler.Sharable
    static final class ConnectionErrorHandler extends ChannelInboundHandlerAdapter {
        static final ConnectionErrorHandler INSTANCE = new ConnectionErrorHandler();
        private static final Logger log = LoggerFactory.getLogger(ConnectionErrorHandler.class);

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException || cause.getCause() instanceof IOException) {
                // A reset, or TLS records that do not decrypt (an SSLException wrapped by the decoder).
                log.debug("{} I/O error: {}", ctx.channel(), cause.toString());
            } else if (cause instanceof OutOfMemoryError) {
                log.warn("{} closing the connection: out of memory ({})", ctx.channel(), cause.getMessage());
            } else {
                log.warn("{} unexpected error, closing the connection", ctx.channel(), cause);
            }
            ctx.close();
        }
    }
}
