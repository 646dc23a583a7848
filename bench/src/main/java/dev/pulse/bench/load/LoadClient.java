package dev.pulse.bench.load;

import dev.pulse.codec.WebSocketClientHandshaker;
import dev.pulse.codec.WebSocketCodec;
import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketHandshakeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * WebSocket clients for load generation: Netty, native epoll where available, and Pulse's own
 * codec in client mode (masked frames, unmasked frames expected). Refuses targets that are not
 * loopback addresses.
 */
public final class LoadClient implements AutoCloseable {

    private static final WebSocketDecoderConfig CLIENT = WebSocketDecoderConfig.builder()
            .expectMaskedFrames(false)
            .maxFramePayloadLength(16 * 1024 * 1024)
            .maxMessagePayloadLength(16 * 1024 * 1024)
            .build();
    private static final long CLOSE_TIMEOUT_MILLIS = 3_000;

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private SslContext tls;

    public LoadClient(int threads) {
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(threads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /** Throws unless {@code uri} names a loopback address: load goes nowhere else. */
    public static void requireLoopback(URI uri) throws UnknownHostException {
        for (InetAddress address : InetAddress.getAllByName(uri.getHost())) {
            if (!address.isLoopbackAddress()) {
                throw new IllegalArgumentException("load may only target loopback addresses, not " + uri.getHost());
            }
        }
    }

    /**
     * Connects, completes the opening handshake and installs {@code handler} after the codec.
     * The future completes with the channel once the handler is in place.
     */
    public CompletableFuture<Channel> connect(URI uri, Supplier<? extends ChannelHandler> handler) {
        return connect(uri, handler, null);
    }

    /**
     * As {@link #connect(URI, Supplier)}, from {@code source} (a loopback address such as
     * 127.0.0.2; null for any): each source address has its own ephemeral ports, so spreading
     * connections over 127.0.0.0/8 passes the ~28,000 one address can hold to one server port.
     */
    public CompletableFuture<Channel> connect(URI uri, Supplier<? extends ChannelHandler> handler, InetAddress source) {
        CompletableFuture<Channel> upgraded = new CompletableFuture<>();
        WebSocketClientHandshaker handshaker = new WebSocketClientHandshaker(uri, List.of());
        bootstrap.clone()
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if ("wss".equalsIgnoreCase(uri.getScheme())) {
                            ch.pipeline().addLast("tls", tls().newHandler(ch.alloc(), uri.getHost(), uri.getPort()));
                        }
                        ch.pipeline()
                                .addLast("http-codec", new HttpClientCodec())
                                .addLast("http-aggregator", new HttpObjectAggregator(8192))
                                .addLast("handshake", new HandshakeHandler(handshaker, handler, upgraded));
                    }
                })
                .connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()),
                        source == null ? null : new java.net.InetSocketAddress(source, 0))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        upgraded.completeExceptionally(f.cause());
                    }
                });
        return upgraded;
    }

    /**
     * TLS for {@code wss://} targets, trusting any certificate: load goes to loopback only, where
     * the server under test typically runs with {@code --tls-self-signed}.
     */
    private synchronized SslContext tls() {
        if (tls == null) {
            try {
                tls = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK).build();
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalStateException("no TLS client context: " + e.getMessage(), e);
            }
        }
        return tls;
    }

    @Override
    public void close() {
        group.shutdownGracefully().syncUninterruptibly();
    }

    private static final class HandshakeHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final WebSocketClientHandshaker handshaker;
        private final Supplier<? extends ChannelHandler> handler;
        private final CompletableFuture<Channel> upgraded;

        HandshakeHandler(WebSocketClientHandshaker handshaker, Supplier<? extends ChannelHandler> handler,
                         CompletableFuture<Channel> upgraded) {
            this.handshaker = handshaker;
            this.handler = handler;
            this.upgraded = upgraded;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(handshaker.newRequest());
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) throws WebSocketHandshakeException {
            handshaker.verify(response);
            String last = WebSocketCodec.install(ctx.pipeline(), ctx.name(), CLIENT, CLOSE_TIMEOUT_MILLIS);
            ctx.pipeline().addAfter(last, "load", handler.get());
            ctx.pipeline().remove("http-aggregator");
            ctx.pipeline().remove(this);
            ctx.pipeline().remove("http-codec");
            upgraded.complete(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            upgraded.completeExceptionally(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            upgraded.completeExceptionally(new IllegalStateException("closed before the handshake completed"));
            ctx.fireChannelInactive();
        }
    }
}
