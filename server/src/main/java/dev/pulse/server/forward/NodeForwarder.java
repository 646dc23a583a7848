package dev.pulse.server.forward;

import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.session.Peers;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends an HTTP request that reached this node to the node of the cluster that can answer it, and
 * brings that node's answer back: what lets a socket.io long-polling session live on one node
 * while a load balancer without sticky sessions spreads its requests over all of them.
 *
 * <p>Call {@link #forward} on the event loop of the client's connection; the request goes out on
 * that same loop, over a keep-alive connection kept per loop and per node ({@link HttpClientCodec}
 * and {@link HttpObjectAggregator}), so nothing waits on a loop and no answer changes threads. The
 * forwarded request carries the method, target, body, the headers an answer may depend on
 * ({@code Host}, {@code Cookie}, {@code Origin}, {@code Content-Type}, {@code Authorization},
 * {@code User-Agent}), {@code X-Forwarded-For} with the client's address appended, and
 * {@code X-Pulse-Forwarded} ({@link #FORWARDED_BY}) with this node's id: a node answers such a
 * request itself and never forwards it again. The answer comes back with its status, body, content
 * type, cache control, CORS headers and cookies.
 *
 * <p>Bounds: at most {@code --max-forwarded-requests} forwards wait at once ({@link #forward}
 * refuses beyond); each gets {@code --ping-interval} (the longest the owner holds a poll) plus
 * {@link #MARGIN}, then fails; the owner's answer may take at most twice the session queue's bound
 * plus the largest message. A forward fails when no live node has the id, when the node cannot be
 * reached or closes the connection before answering (a connection taken from the pool is tried once
 * more, on a new connection: an idle connection the owner was closing carried nothing), when it
 * times out, and when the client goes away (the connection to the owner is then closed too, as a
 * client's own poll connection would be).
 */
public final class NodeForwarder {

    /** The header that marks a forwarded request, with the forwarding node's id. */
    public static final AsciiString FORWARDED_BY = AsciiString.cached("x-pulse-forwarded");

    /** Beyond the owner's longest hold of a poll: time to connect, and for the answer to travel. */
    public static final Duration MARGIN = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(NodeForwarder.class);

    private static final List<AsciiString> REQUEST_HEADERS = List.of(HttpHeaderNames.HOST, HttpHeaderNames.COOKIE,
            HttpHeaderNames.ORIGIN, HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.AUTHORIZATION, HttpHeaderNames.USER_AGENT);
    private static final List<AsciiString> RESPONSE_HEADERS = List.of(HttpHeaderNames.CONTENT_TYPE,
            HttpHeaderNames.CACHE_CONTROL, HttpHeaderNames.SET_COOKIE, HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS,
            HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, HttpHeaderNames.VARY);
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    /** How long a node's address is taken as known: a node keeps its address for life, and its id is new each run. */
    private static final long ADDRESS_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Nodes whose addresses are kept; past it the table starts again (ids of nodes long gone pile up otherwise). */
    private static final int MAX_ADDRESSES = 1024;
    private static final int MAX_NODE_ID = 64;

    private record KnownAddress(InetSocketAddress address, long until) { }

    private final Peers peers;
    private final String nodeId;
    private final Bootstrap bootstrap;
    private final int maxInFlight;
    private final long timeoutMillis;
    /** An idle connection older than this is not used again: the owner closes it after its handshake timeout. */
    private final long idleNanos;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final ConcurrentMap<String, KnownAddress> addresses = new ConcurrentHashMap<>();
    private final ConcurrentMap<EventLoop, Pool> pools = new ConcurrentHashMap<>();

    /**
     * @param peers where the other nodes take HTTP requests
     * @param nodeId this node's id, which leads the ids of the sessions it holds
     * @param channelClass the client channel class of the server's event loops
     */
    public NodeForwarder(ServerConfig config, Peers peers, String nodeId, Class<? extends SocketChannel> channelClass) {
        this.peers = peers;
        this.nodeId = nodeId;
        this.maxInFlight = config.maxForwardedRequests();
        this.timeoutMillis = config.pingInterval().plus(MARGIN).toMillis();
        this.idleNanos = config.handshakeTimeout().toNanos() / 2;
        long maxAnswer = 2L * ((long) config.maxQueuedBytes() + config.wsMaxMessageSize());
        int maxAnswerBytes = (int) Math.min(Integer.MAX_VALUE, maxAnswer);
        int connectTimeoutMillis = (int) Math.min(timeoutMillis, config.nodeTimeout().toMillis());
        this.bootstrap = new Bootstrap()
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(maxAnswerBytes),
                                new AnswerHandler());
                    }
                });
    }

    /**
     * The node that holds session {@code sid} (its id leads the sid, up to the first dot), when that
     * is another node than this one; else null.
     */
    public String ownerOf(String sid) {
        int dot = sid.indexOf('.');
        if (dot <= 0 || dot > MAX_NODE_ID) {
            return null;
        }
        String node = sid.substring(0, dot);
        for (int i = 0; i < node.length(); i++) {
            char c = node.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return null;
            }
        }
        return node.equals(nodeId) ? null : node;
    }

    /**
     * Forwards {@code request} to {@code node}. Call on {@code client}'s event loop; {@code request}
     * stays the caller's (what is sent is a copy sharing its body, released here).
     *
     * @param client the connection the request came on: its address is appended to {@code X-Forwarded-For},
     *               and its close ends the forward
     * @return null when {@code --max-forwarded-requests} forwards wait already (refused, nothing sent);
     *         else completed, on {@code client}'s loop, with the node's answer, or with null when the
     *         forward failed
     */
    public CompletableFuture<FullHttpResponse> forward(String node, FullHttpRequest request, Channel client) {
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            refused.increment();
            return null;
        }
        Exchange exchange = new Exchange(node, outbound(request, client), client);
        exchange.start();
        return exchange.answer;
    }

    /** Answers relayed from the nodes that hold their sessions, whatever their status. */
    public long forwarded() {
        return forwarded.sum();
    }

    /** Requests not forwarded: {@code --max-forwarded-requests} were waiting. */
    public long refused() {
        return refused.sum();
    }

    /** Forwards without an answer: no live node, unreachable, closed, timed out, or the client gone. */
    public long failed() {
        return failed.sum();
    }

    /** Forwards waiting for their answer now. */
    public int inFlight() {
        return inFlight.get();
    }

    private FullHttpRequest outbound(FullHttpRequest request, Channel client) {
        FullHttpRequest copy = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(), request.uri(),
                request.content().retainedDuplicate());
        for (AsciiString name : REQUEST_HEADERS) {
            String value = request.headers().get(name);
            if (value != null) {
                copy.headers().set(name, value);
            }
        }
        String chain = String.join(", ", request.headers().getAll(X_FORWARDED_FOR));
        if (client.remoteAddress() instanceof InetSocketAddress peer && peer.getAddress() != null) {
            String address = peer.getAddress().getHostAddress();
            chain = chain.isEmpty() ? address : chain + ", " + address;
        }
        if (!chain.isEmpty()) {
            copy.headers().set(X_FORWARDED_FOR, chain);
        }
        copy.headers().set(FORWARDED_BY, nodeId);
        HttpUtil.setContentLength(copy, copy.content().readableBytes());
        return copy;
    }

    private static FullHttpResponse relay(FullHttpResponse answer) {
        FullHttpResponse relayed = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(),
                answer.content().retain());
        for (AsciiString name : RESPONSE_HEADERS) {
            List<String> values = answer.headers().getAll(name);
            if (!values.isEmpty()) {
                relayed.headers().set(name, values);
            }
        }
        return relayed;
    }

    /** Where {@code node} takes HTTP requests, resolved; completed with null when no live node has that id. */
    private CompletableFuture<InetSocketAddress> address(String node) {
        KnownAddress known = addresses.get(node);
        if (known != null && System.nanoTime() - known.until() < 0) {
            return CompletableFuture.completedFuture(known.address());
        }
        return peers.address(node)
                .thenCompose(NodeForwarder::resolve)
                .thenApply(address -> {
                    if (address != null) {
                        if (addresses.size() >= MAX_ADDRESSES) {
                            addresses.clear();
                        }
                        addresses.put(node, new KnownAddress(address, System.nanoTime() + ADDRESS_TTL_NANOS));
                    }
                    return address;
                });
    }

    /** {@code host:port} (an IPv6 host in brackets) as a socket address; a name is looked up off the event loops. */
    private static CompletableFuture<InetSocketAddress> resolve(String hostPort) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            return CompletableFuture.completedFuture(null);
        }
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
        if (literal != null) {
            return CompletableFuture.completedFuture(new InetSocketAddress(literal, port));
        }
        String name = host;
        return CompletableFuture.supplyAsync(() -> {
            InetSocketAddress resolved = new InetSocketAddress(name, port);
            return resolved.isUnresolved() ? null : resolved;
        }, GlobalEventExecutor.INSTANCE);
    }

    private Pool pool(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new Pool());
    }

    /** One forward, from the lookup of the owner's address to the answer; touched on the client's loop only. */
    private final class Exchange {
        private final String node;
        private final FullHttpRequest request;
        private final Channel client;
        private final EventLoop loop;
        private final CompletableFuture<FullHttpResponse> answer = new CompletableFuture<>();
        private final ChannelFutureListener clientClosed;
        private ScheduledFuture<?> timeout;
        private InetSocketAddress target;
        /** The connection the request went out on, until its answer or its failure. */
        private Channel upstream;
        private boolean reused;
        private boolean retried;

        Exchange(String node, FullHttpRequest request, Channel client) {
            this.node = node;
            this.request = request;
            this.client = client;
            this.loop = client.eventLoop();
            this.clientClosed = closed -> loop.execute(() -> fail("the client's connection closed"));
        }

        void start() {
            timeout = loop.schedule(() -> fail("no answer within " + timeoutMillis + " ms"), timeoutMillis,
                    TimeUnit.MILLISECONDS);
            client.closeFuture().addListener(clientClosed);
            address(node).whenComplete((address, failure) -> loop.execute(() -> {
                if (failure != null) {
                    fail("its address could not be read: " + failure);
                } else if (address == null) {
                    fail("no live node has that id");
                } else {
                    target = address;
                    send();
                }
            }));
        }

        private void send() {
            if (answer.isDone()) {
                return;
            }
            Channel idle = retried ? null : pool(loop).take(target, idleNanos);
            if (idle != null) {
                reused = true;
                write(idle);
                return;
            }
            reused = false;
            bootstrap.clone(loop).connect(target).addListener((ChannelFuture connected) -> {
                if (!connected.isSuccess()) {
                    fail("cannot connect: " + connected.cause());
                } else if (answer.isDone()) {
                    connected.channel().close();
                } else {
                    write(connected.channel());
                }
            });
        }

        private void write(Channel channel) {
            upstream = channel;
            AnswerHandler handler = channel.pipeline().get(AnswerHandler.class);
            handler.exchange = this;
            handler.pool = pool(loop);
            handler.target = target;
            channel.writeAndFlush(request.retainedDuplicate()).addListener(written -> {
                if (!written.isSuccess()) {
                    lost(channel);
                }
            });
        }

        /** The connection closed, or the request could not be written, before the answer came. */
        void lost(Channel channel) {
            if (answer.isDone() || channel != upstream) {
                return;
            }
            upstream = null;
            channel.close();
            if (reused && !retried) {
                retried = true;
                send();
                return;
            }
            fail("the connection closed before the answer");
        }

        void answered(Channel channel, FullHttpResponse response) {
            if (answer.isDone() || channel != upstream) {
                channel.close();
                return;
            }
            upstream = null;
            if (HttpUtil.isKeepAlive(response) && channel.isActive()) {
                pool(loop).give(target, channel);
            } else {
                channel.close();
            }
            forwarded.increment();
            finish(relay(response));
        }

        void fail(String why) {
            if (answer.isDone()) {
                return;
            }
            log.debug("forwarding {} {} to node {} ({}) failed: {}", request.method(), request.uri(), node, target, why);
            failed.increment();
            if (upstream != null) {
                upstream.close();
                upstream = null;
            }
            finish(null);
        }

        private void finish(FullHttpResponse response) {
            if (timeout != null) {
                timeout.cancel(false);
            }
            client.closeFuture().removeListener(clientClosed);
            request.release();
            inFlight.decrementAndGet();
            answer.complete(response);
        }
    }

    /** Hands the owner's answer, or the loss of the connection, to the exchange waiting on it. */
    private static final class AnswerHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private Exchange exchange;
        /** Where the connection waits while idle, and under which address. */
        private Pool pool;
        private InetSocketAddress target;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            Exchange waiting = exchange;
            exchange = null;
            if (waiting == null) {
                // Nothing was asked on this connection: it is out of step.
                ctx.close();
                return;
            }
            waiting.answered(ctx.channel(), response);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange waiting = exchange;
            exchange = null;
            if (waiting != null) {
                waiting.lost(ctx.channel());
            } else if (pool != null) {
                pool.remove(target, ctx.channel());
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange waiting = exchange;
            exchange = null;
            if (waiting != null) {
                waiting.fail(cause.toString());
            }
            ctx.close();
        }
    }

    /** Idle keep-alive connections of one event loop, by node address; touched on that loop only. */
    private static final class Pool {
        private record Idle(Channel channel, long since) { }

        private final Map<InetSocketAddress, ArrayDeque<Idle>> idle = new HashMap<>();

        /** The most recently used live connection to {@code address} idle for less than {@code maxIdleNanos}, or null. */
        Channel take(InetSocketAddress address, long maxIdleNanos) {
            ArrayDeque<Idle> waiting = idle.get(address);
            Channel found = null;
            while (found == null && waiting != null && !waiting.isEmpty()) {
                Idle last = waiting.pollLast();
                if (last.channel().isActive() && System.nanoTime() - last.since() < maxIdleNanos) {
                    found = last.channel();
                } else {
                    last.channel().close();
                }
            }
            if (waiting != null && waiting.isEmpty()) {
                idle.remove(address);
            }
            return found;
        }

        void give(InetSocketAddress address, Channel channel) {
            idle.computeIfAbsent(address, a -> new ArrayDeque<>()).addLast(new Idle(channel, System.nanoTime()));
        }

        /** An idle connection closed (the owner's handshake timeout, its end). */
        void remove(InetSocketAddress address, Channel channel) {
            ArrayDeque<Idle> waiting = idle.get(address);
            if (waiting != null) {
                waiting.removeIf(entry -> entry.channel() == channel);
                if (waiting.isEmpty()) {
                    idle.remove(address);
                }
            }
        }
    }
}
