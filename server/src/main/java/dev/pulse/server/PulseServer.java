package dev.pulse.server;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketCodec;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameCodec;
import dev.pulse.server.api.HttpApi;
import dev.pulse.server.config.PulseCommand;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.echo.EchoHandler;
import dev.pulse.server.forward.NodeForwarder;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.cluster.ClusterConfig;
import dev.pulse.server.cluster.RedisEngine;
import dev.pulse.server.stream.StreamDoor;
import dev.pulse.server.health.HealthCheck;
import dev.pulse.server.line.LineServerInitializer;
import dev.pulse.server.line.LineSessionHandler;
import dev.pulse.server.monitor.LogTailPublisher;
import dev.pulse.server.monitor.MetricsPublisher;
import dev.pulse.server.monitor.Redaction;
import dev.pulse.server.monitor.ServerMetrics;
import dev.pulse.server.monitor.ServerStats;
import dev.pulse.server.pipeline.PulseServerInitializer;
import dev.pulse.server.pipeline.WebSocketEndpoint;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.relay.RelayHandler;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.socketio.EngineIoServer;
import dev.pulse.server.session.SessionHandler;
import dev.pulse.server.tls.TlsContext;
import dev.pulse.server.transport.Transport;
import dev.pulse.server.webhook.Webhooks;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.NetUtil;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A running Pulse server: {@link #start(ServerConfig)} binds it, {@link #shutdown()} stops it
 * gracefully. {@link #main(String[])} is the entry point of {@code pulse-server.jar} and turns
 * SIGTERM and SIGINT into a graceful shutdown that exits 0.
 *
 * <p>A graceful shutdown stops accepting, reports DOWN on {@code /health}, sends Close 1001 to
 * every WebSocket client, waits up to the shutdown timeout for them to close, then closes what is
 * left and stops the event loops.
 */
public final class PulseServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PulseServer.class);

    private final ServerConfig config;
    private final Transport transport;
    private final EventLoopGroup workerGroup;
    private final ChannelGroup allConnections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    /** Every admitted client, by kind: counts WebSocket connections without a group of its own. */
    private final ConnectionLimiter connections;
    private final HealthCheck health;
    private final Channel serverChannel;
    /** The line door's listening channel, or null when it is off. */
    private final Channel lineChannel;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);

    private final SessionContext sessions;
    private final ServerStats stats = new ServerStats();
    private final ServerMetrics metrics;
    private final MetricsPublisher metricsPublisher;
    private final LogTailPublisher logTail;
    private final Webhooks webhooks;
    private final TlsContext tls;
    private final RedisEngine cluster;
    private final EngineIoServer engineIo;

    private PulseServer(ServerConfig config, Function<SessionContext, List<WebSocketEndpoint>> endpoints)
            throws InterruptedException {
        this.config = config;
        this.cluster = config.redis() == null ? null : new RedisEngine(new ClusterConfig(config.redisUris(),
                config.redisCluster(), config.clusterName(), config.nodeTimeout(), config.historySize(),
                config.historyBytes(), config.presenceLimit(), config.channelIdleTimeout(), config.redisMaxPendingBytes()));
        this.sessions = cluster == null ? new SessionContext(config, ByteBufAllocator.DEFAULT)
                : new SessionContext(config, ByteBufAllocator.DEFAULT, cluster, cluster, cluster, cluster.nodeId());
        AccessPolicy access = new AccessPolicy(config.access(), sessions.authentication());
        access.keepHeaders(config.proxy().urls().containsKey("connect"));
        this.connections = access.limiter();
        this.metrics = new ServerMetrics(stats, sessions, access.limiter(), allConnections);
        this.metricsPublisher = new MetricsPublisher(metrics, sessions.rooms());
        if (sessions.proxy() != null) {
            metrics.proxy(sessions.proxy());
        }
        this.webhooks = config.webhooks().url() == null ? null : new Webhooks(config.webhooks());
        if (webhooks != null) {
            sessions.rooms().events(webhooks);
            if (cluster != null) {
                cluster.events(webhooks);
            }
            metrics.webhooks(webhooks);
            webhooks.start();
        }
        // $logs carries no secret, and addresses only where it is for admins (any authentication configured).
        Redaction.configure(java.util.Arrays.asList(config.jwtSecret(), config.apiKey(), config.proxy().secret(),
                        config.webhooks().secret()),
                config.tokens() || config.apiKey() != null);
        this.logTail = new LogTailPublisher(sessions.rooms());
        this.transport = Transport.select(config.nativeTransport());
        this.tls = tlsContext(config);
        this.health = new HealthCheck(transport.toString(), access.limiter(), tls, cluster);
        if (tls != null) {
            metrics.tls(tls);
        }
        if (cluster != null) {
            metrics.cluster(cluster);
        }
        NodeForwarder forwarder = cluster == null ? null
                : new NodeForwarder(config, sessions.peers(), cluster.nodeId(), transport.socketChannelClass());
        if (forwarder != null) {
            metrics.forwarding(forwarder);
        }
        this.engineIo = new EngineIoServer(sessions, access, queueWaterMark(config), forwarder);
        // The listening sockets live on the I/O loops too, as uWS's do: with one I/O thread an
        // accepted connection is registered where it was accepted, with no hand-over to another
        // thread (a wake-up and a context switch per handshake); with more, the accepting loop
        // is one of them, as in Netty's single-group servers.
        this.workerGroup = transport.newEventLoopGroup(config.ioThreads(), "pulse-io");
        try {
            PulseServerInitializer initializer = new PulseServerInitializer(endpoints.apply(sessions), health, metrics,
                    stats, allConnections, config, access,
                    new HttpApi(sessions, ByteBufAllocator.DEFAULT, metrics::apiRequest), tls,
                    sessions.broadcaster().deflate(), engineIo, new StreamDoor(sessions, access));
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(workerGroup)
                    .channel(transport.serverChannelClass())
                    // As deep as the kernel allows (net.core.somaxconn): a reconnect storm waits there.
                    .option(ChannelOption.SO_BACKLOG, NetUtil.SOMAXCONN)
                    .handler(initializer.acceptGate())
                    // A restart binds the port again at once, past the TIME_WAIT of the connections it closed.
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, queueWaterMark(config))
                    // One allocator for all (its handles keep the per-connection state): by default
                    // every connection gets its own instance, 32 bytes of heap each.
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
                    .childHandler(initializer);
            this.serverChannel = bootstrap.bind(config.host(), config.port()).sync().channel();
            this.lineChannel = config.tcpPort() < 0 ? null : new ServerBootstrap()
                    .group(workerGroup)
                    .channel(transport.serverChannelClass())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, queueWaterMark(config))
                    .childHandler(new LineServerInitializer(sessions, allConnections, access.limiter()))
                    .bind(config.host(), config.tcpPort()).sync().channel();
            sessions.rooms().start(workerGroup.next());
            if (cluster != null) {
                cluster.start(sessions, workerGroup.next(), nodeAddress(config, port()));
            }
            if (tls != null) {
                tls.watch(workerGroup.next(), config.tlsReloadInterval());
            }
            metricsPublisher.start(workerGroup.next(), config.metricsInterval());
            logTail.start(workerGroup.next());
        } catch (Throwable t) {
            // Bind failures arrive here too, thrown unchecked by sync().
            workerGroup.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            if (cluster != null) {
                cluster.stop();
            }
            throw t;
        }
    }

    /** The server's TLS, or null for plain HTTP; certificate files that do not load stop the start. */
    private static TlsContext tlsContext(ServerConfig config) {
        try {
            if (config.tlsCert() != null) {
                return TlsContext.fromFiles(Path.of(config.tlsCert()), Path.of(config.tlsKey()), config.handshakeTimeout());
            }
            return config.tlsSelfSigned() ? TlsContext.selfSigned(config.handshakeTimeout()) : null;
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Netty marks a channel unwritable once its queue passes the high mark, and Pulse then stops
     * queueing for it (see {@link dev.pulse.server.broadcast.Subscriber}); the one message that
     * crossed the mark is queued. Leaving room for the largest broadcast frame below the high mark
     * keeps the queue within {@code --max-queued-bytes}.
     */
    static WriteBufferWaterMark queueWaterMark(ServerConfig config) {
        int bound = config.maxQueuedBytes();
        // Room above the high mark for the message that crosses it and for the frames a cork holds until it is handed on.
        int high = Math.max(bound - ServerMessages.maxBroadcastFrameBytes(config.maxTextLength(), config.wsMaxMessageSize())
                - WebSocketFrameCodec.CORK_LIMIT, bound / 2);
        return new WriteBufferWaterMark(high / 2, high);
    }

    /** Binds a server with the standard endpoints: {@code /echo}, {@code /ws} and {@code /health}. */
    public static PulseServer start(ServerConfig config) throws InterruptedException {
        return start(config, PulseServer::standardEndpoints);
    }

    /**
     * The WebSocket endpoints of {@code pulse-server.jar}: {@code /echo}, and {@code /} for the
     * plainest clients; {@code /ws}; the relay rooms {@code /rooms/NAME}.
     */
    public static List<WebSocketEndpoint> standardEndpoints(SessionContext sessions) {
        ServerConfig config = sessions.config();
        return List.of(EchoHandler.endpoint(config), EchoHandler.endpoint("/", config),
                new WebSocketEndpoint(SessionHandler.PATH, List.of(), SessionHandler.decoderConfig(config), true,
                        () -> new SessionHandler(sessions)),
                WebSocketEndpoint.under(RelayHandler.PREFIX, RelayHandler::isRoomName, List.of(),
                        SessionHandler.decoderConfig(config), true, name -> new RelayHandler(sessions, name)));
    }

    /**
     * Binds a server with the WebSocket endpoints {@code endpoints} makes from the server's
     * session context; {@code /health} is always there.
     */
    public static PulseServer start(ServerConfig config, Function<SessionContext, List<WebSocketEndpoint>> endpoints)
            throws InterruptedException {
        PulseServer server = new PulseServer(config, endpoints);
        java.net.InetSocketAddress bound = (java.net.InetSocketAddress) server.serverChannel.localAddress();
        String host = bound.getAddress().isAnyLocalAddress() ? "localhost"
                : bound.getAddress() instanceof java.net.Inet6Address ? "[" + bound.getAddress().getHostAddress() + "]"
                : bound.getAddress().getHostAddress();
        String url = (config.tls() ? "https://" : "http://") + host + ':' + bound.getPort() + '/';
        log.info("Pulse listening on {} (bound to {}; {} transport, {} I/O threads); open {} for the page. Doors: /ws, "
                        + "/socket.io/, /rooms/NAME, /echo{}{}", url, bound, server.transport,
                server.transport.threadCount(config.ioThreads()), url,
                server.lineChannel == null ? "" : ", the line door on port " + server.tcpPort(),
                config.apiKey() == null ? "" : ", the HTTP API under /api/");
        if (server.transport == Transport.NIO && config.nativeTransport()) {
            log.info("native epoll unavailable, using NIO: {}", String.valueOf(Transport.nativeUnavailabilityCause()));
        }
        return server;
    }

    /** The bound port; useful when the configured port was 0. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /**
     * Where the other nodes of a cluster reach this one: {@code --node-address}, else the host
     * the server is bound to, or (bound to every address) this host's own address, with the port.
     */
    private static String nodeAddress(ServerConfig config, int port) {
        if (config.nodeAddress() != null) {
            return config.nodeAddress();
        }
        String host = config.host();
        if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostAddress();
            } catch (java.net.UnknownHostException e) {
                host = "127.0.0.1";
            }
        }
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? '[' + host + ']' : host) + ':' + port;
    }

    /** The line door's port, or -1 when it is off. */
    public int tcpPort() {
        return lineChannel == null ? -1 : ((InetSocketAddress) lineChannel.localAddress()).getPort();
    }

    public ServerConfig config() {
        return config;
    }

    /** The server's figures: what {@code /metrics} and {@code $metrics} show. */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** Rooms, sessions and broadcast counters of {@code /ws}. */
    public SessionContext sessions() {
        return sessions;
    }

    /** Open WebSocket connections, on every path ({@code /socket.io/}'s included): the slots they hold. */
    public int webSocketConnectionCount() {
        return connections.count(ConnectionLimiter.Kind.WEBSOCKET);
    }

    /**
     * Stops the server gracefully, as described on the class; returns when it has stopped.
     * Calling it again, or from several threads, waits for the first call to finish.
     */
    public void shutdown() throws InterruptedException {
        if (!stopped.compareAndSet(false, true)) {
            terminated.await();
            return;
        }
        try {
            long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
            health.shuttingDown();
            serverChannel.close().sync();
            if (lineChannel != null) {
                lineChannel.close().sync();
            }
            metricsPublisher.stop();
            logTail.stop();
            sessions.rooms().stop();
            if (sessions.proxy() != null) {
                sessions.proxy().close();
            }
            if (webhooks != null) {
                webhooks.stop();
            }
            if (tls != null) {
                tls.stop();
            }
            int clients = webSocketConnectionCount();
            log.info("shutting down: closing {} WebSocket connection(s) with 1001", clients);
            // socket.io sessions waiting in a long poll get Engine.IO's close packet.
            engineIo.closeAll();
            for (Channel channel : allConnections) {
                // Decided on the channel's own loop, so that an upgrade in progress there is either done or not begun.
                channel.eventLoop().execute(() -> {
                    if (channel.pipeline().get(WebSocketCodec.PROTOCOL) != null) {
                        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.GOING_AWAY));
                    } else if (channel.pipeline().get(LineSessionHandler.class) != null) {
                        channel.writeAndFlush("* closing: the server is shutting down").addListener(ChannelFutureListener.CLOSE);
                    } else {
                        // Still speaking HTTP: nothing to finish.
                        channel.close();
                    }
                });
            }
            for (Channel channel : allConnections) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !channel.closeFuture().await(left, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
            if (!allConnections.isEmpty()) {
                log.info("shutdown timeout reached: dropping {} connection(s)", allConnections.size());
                allConnections.close().await(1, TimeUnit.SECONDS);
            }
            if (cluster != null) {
                // After the connections' leaves: whatever presence of this node is left goes now.
                cluster.stop();
            }
            workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            log.info("Pulse stopped");
        } finally {
            terminated.countDown();
        }
    }

    /** Blocks until {@link #shutdown()} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    @Override
    public void close() throws InterruptedException {
        shutdown();
    }

    public static void main(String[] args) throws InterruptedException {
        ServerConfig config;
        try {
            config = PulseCommand.parse(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            e.getCommandLine().usage(System.err);
            System.exit(2);
            return;
        }
        if (config == null) {
            return;
        }
        leakDetectionOffUnlessAsked();
        run(config, PulseServer::standardEndpoints);
    }

    /**
     * Netty's default leak detector records a stack trace for one buffer in 128, and a message
     * costs at least one buffer: about a fifth of the user CPU of an echoed message (bench/RESULTS.md).
     * The tests run it at {@code paranoid}; a server runs without it unless
     * {@code -Dio.netty.leakDetection.level} is given.
     */
    private static void leakDetectionOffUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    /**
     * Runs a server until SIGTERM or SIGINT, then shuts it down gracefully and exits 0; exits 1
     * when it cannot start. For {@code main} methods.
     */
    public static void run(ServerConfig config, Function<SessionContext, List<WebSocketEndpoint>> endpoints)
            throws InterruptedException {
        // Handlers go in before the port opens, so a signal is never met by the JVM's default.
        AtomicReference<PulseServer> running = new AtomicReference<>();
        SignalHandler stop = signal -> new Thread(() -> {
            log.info("received SIG{}", signal.getName());
            PulseServer server = running.get();
            try {
                if (server != null) {
                    server.shutdown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.exit(0);
        }, "pulse-shutdown").start();
        Signal.handle(new Signal("TERM"), stop);
        Signal.handle(new Signal("INT"), stop);
        PulseServer server;
        try {
            server = start(config, endpoints);
        } catch (Exception e) {
            log.error("cannot start on {}:{}: {}", config.host(), config.port(), e.toString());
            System.exit(1);
            return;
        }
        running.set(server);
        server.awaitTermination();
    }
}
