package dev.pulse.bench.reference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Netty's built-in WebSocket server, written as its documentation and examples suggest:
 * {@link HttpServerCodec}, {@link HttpObjectAggregator}, {@link WebSocketServerProtocolHandler}
 * (which adds {@code WebSocket08FrameDecoder}/{@code Encoder} and UTF-8 validation),
 * {@link WebSocketFrameAggregator}, then the application. {@code /echo} echoes; {@code /ws}
 * speaks the subset of Pulse's protocol the fan-out load uses (welcome, join, publish, message,
 * ack) and broadcasts through a {@link ChannelGroup}. {@code GET /health} gives the pid and
 * memory figures the load generator reads. Same transport choice and thread count as Pulse.
 */
@Command(name = "reference-server", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "The baseline server on Netty's built-in websocketx handlers.")
public final class ReferenceServer implements Callable<Integer> {

    private static final int MAX_MESSAGE = 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributeKey<String> PATH = AttributeKey.valueOf("reference.path");

    @Option(names = "--host", description = "address to bind")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, description = "port")
    int port = 8090;

    @Option(names = "--io-threads", description = "event-loop threads; 0 = one per processor")
    int ioThreads = 0;

    private final ChannelGroup members = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicLong seq = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        boolean epoll = Epoll.isAvailable();
        int threads = ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline()
                                    .addLast(new HttpServerCodec())
                                    .addLast(new HttpObjectAggregator(65536))
                                    .addLast(new Routes())
                                    .addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                            .websocketPath("/")
                                            .checkStartsWith(true)
                                            .maxFramePayloadLength(MAX_MESSAGE)
                                            .build()))
                                    .addLast(new WebSocketFrameAggregator(MAX_MESSAGE))
                                    .addLast(new Application());
                        }
                    })
                    .bind(host, port).sync().channel();
            System.out.printf("reference server listening on %s (%s transport, %d I/O threads)%n",
                    server.localAddress(), epoll ? "epoll" : "nio", threads);
            server.closeFuture().sync();
            return 0;
        } finally {
            boss.shutdownGracefully();
            workers.shutdownGracefully();
        }
    }

    /** {@code GET /health}; remembers the path of WebSocket upgrades for the application. */
    private static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
        Routes() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            if (!request.uri().startsWith("/health")) {
                ctx.channel().attr(PATH).set(request.uri());
                ctx.fireChannelRead(request);
                return;
            }
            request.release();
            Runtime runtime = Runtime.getRuntime();
            ObjectNode health = JSON.createObjectNode()
                    .put("status", "UP")
                    .put("pid", ManagementFactory.getRuntimeMXBean().getPid())
                    .put("heapUsedBytes", runtime.totalMemory() - runtime.freeMemory())
                    .put("directMemoryBytes", ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory());
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(JSON.writeValueAsBytes(health)));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            HttpUtil.setContentLength(response, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Echo on {@code /echo}; join, publish and broadcast on {@code /ws}. */
    private final class Application extends SimpleChannelInboundHandler<WebSocketFrame> {
        Application() {
            super(false);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete && isChat(ctx)) {
                ctx.writeAndFlush(new TextWebSocketFrame("{\"type\":\"welcome\",\"id\":\"" + ctx.channel().id().asShortText() + "\"}"));
            }
            ctx.fireUserEventTriggered(evt);
        }

        private boolean isChat(ChannelHandlerContext ctx) {
            String path = ctx.channel().attr(PATH).get();
            return path != null && path.startsWith("/ws");
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
            if (!isChat(ctx)) {
                if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
                    ctx.write(frame);
                } else {
                    frame.release();
                }
                return;
            }
            JsonNode request;
            try {
                request = JSON.readTree((java.io.InputStream) new ByteBufInputStream(frame.content()));
            } finally {
                frame.release();
            }
            String channel = request.path("channel").asText();
            switch (request.path("type").asText()) {
                case "join":
                    members.add(ctx.channel());
                    ctx.write(new TextWebSocketFrame("{\"type\":\"joined\",\"channel\":\"" + channel + "\"}"));
                    break;
                case "publish": {
                    long next = seq.incrementAndGet();
                    ObjectNode message = JSON.createObjectNode()
                            .put("type", "message").put("channel", channel).put("seq", next)
                            .put("from", ctx.channel().id().asShortText()).put("text", request.path("text").asText())
                            .put("ts", System.currentTimeMillis());
                    members.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(JSON.writeValueAsBytes(message))));
                    ctx.write(new TextWebSocketFrame("{\"type\":\"ack\",\"ref\":\"" + request.path("ref").asText()
                            + "\",\"seq\":" + next + "}"));
                    break;
                }
                default:
                    ctx.write(new TextWebSocketFrame("{\"type\":\"error\",\"code\":\"unknown_type\"}"));
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            ctx.fireChannelReadComplete();
        }
    }
}
