package dev.pulse.server.session;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameEncoder;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.RateLimiter;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.pipeline.WebSocketEndpoint;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.room.Room;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One {@code /ws} connection: sends {@code welcome}, then serves {@code join}, {@code leave},
 * {@code publish}, {@code direct} and {@code ping} requests. Answers of its own ({@code error},
 * {@code pong}, the {@code ack} of a direct message) are written during the read and flushed with
 * the read batch; everything a room produces arrives through the {@link Broadcaster}.
 *
 * <p>Installed after {@link dev.pulse.codec.WebSocketProtocolHandler}, or after a transport that
 * hands it the same text frames and renders what it writes (socket.io's
 * {@code dev.pulse.server.socketio.SocketIoCodec}); sees complete messages.
 */
public final class SessionHandler extends ChannelInboundHandlerAdapter {

    public static final String PATH = "/ws";

    /** Sent when the token's expiry passes during the connection. */
    public static final WebSocketCloseStatus AUTH_EXPIRED = WebSocketCloseStatus.of(4001, "token expired");
    /** Sent when a client keeps sending past its rate after being told {@code rate_limited}. */
    public static final WebSocketCloseStatus RATE_LIMITED = WebSocketCloseStatus.of(4003, "message rate exceeded");

    private final SessionContext context;
    private final String id;
    private final Map<String, Room> joined = new HashMap<>();
    private final RateLimiter rateLimiter;
    private Subscriber subscriber;
    /** The display name: the token's subject when authenticated, else the latest one given in join. */
    private volatile String name;
    private boolean nameFromToken;
    private ScheduledFuture<?> expiry;

    public SessionHandler(SessionContext context) {
        this.context = context;
        this.id = context.newConnectionId();
        this.rateLimiter = new RateLimiter(context.config().messageRate(), context.config().messageBurst());
    }

    /** The {@code /ws} endpoint: JSON text messages up to the configured size, no subprotocol. */
    public static WebSocketEndpoint endpoint(SessionContext context) {
        ServerConfig config = context.config();
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(config.wsMaxMessageSize())
                .maxMessagePayloadLength(config.wsMaxMessageSize())
                .build();
        return new WebSocketEndpoint(PATH, List.of(), decoderConfig, true, () -> new SessionHandler(context));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        subscriber = new Subscriber(ctx.channel(), context.stats(), context.config().maxQueuedBytes());
        context.sessions().put(id, this);
        TokenAuthenticator.Principal principal = ctx.channel().attr(AccessPolicy.PRINCIPAL).get();
        if (principal != null) {
            name = principal.subject();
            nameFromToken = true;
            if (principal.expiresAt() != null) {
                long delay = Math.max(0, principal.expiresAt().toEpochMilli() - System.currentTimeMillis());
                expiry = ctx.executor().schedule(() -> closeWith(ctx, AUTH_EXPIRED), delay, TimeUnit.MILLISECONDS);
            }
        }
        ServerConfig config = context.config();
        reply(ctx, ServerMessages.welcome(id, context.epoch(), config.pingInterval().toMillis(),
                config.pingTimeout().toMillis()));
        ctx.flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        try {
            if (!rateLimiter.tryAcquire()) {
                if (rateLimiter.refusedInARow() >= context.config().messageBurst()) {
                    closeWith(ctx, RATE_LIMITED);
                    return;
                }
                throw new ProtocolException(ErrorCode.RATE_LIMITED, "more than " + context.config().messageRate()
                        + " messages per second; this one was not processed", null);
            }
            if (!frame.isText()) {
                throw new ProtocolException(ErrorCode.BINARY_NOT_SUPPORTED, "/ws takes JSON in text frames only", null);
            }
            handle(ctx, ClientRequest.parse(frame.content()));
        } catch (ProtocolException e) {
            reply(ctx, ServerMessages.error(e.code(), e.getMessage(), e.ref()));
        } finally {
            frame.release();
        }
    }

    private void handle(ChannelHandlerContext ctx, ClientRequest request) throws ProtocolException {
        switch (request.type()) {
            case ClientRequest.JOIN:
                join(ctx, request);
                break;
            case ClientRequest.LEAVE:
                Room left = joined.remove(request.channel());
                if (left == null) {
                    throw new ProtocolException(ErrorCode.NOT_JOINED, "not a member of " + request.channel(), request.ref());
                }
                left.leave(subscriber, request.ref(), true);
                context.rooms().release(left);
                break;
            case ClientRequest.PUBLISH:
                publish(request);
                break;
            case ClientRequest.DIRECT:
                direct(ctx, request);
                break;
            case ClientRequest.PING:
                reply(ctx, ServerMessages.pong(request.ref()));
                break;
            default:
                throw new IllegalStateException("parse() admits no other type: " + request.type());
        }
    }

    private void join(ChannelHandlerContext ctx, ClientRequest request) throws ProtocolException {
        Room room = joined.get(request.channel());
        if (room == null) {
            int maxJoins = context.config().maxJoinsPerConnection();
            if (joined.size() >= maxJoins) {
                throw new ProtocolException(ErrorCode.TOO_MANY_JOINS,
                        "a connection may be a member of " + maxJoins + " channels at once: leave one first", request.ref());
            }
            room = context.rooms().acquire(request.channel(), ctx.channel().eventLoop());
            if (room == null && ClientRequest.isSystemChannel(request.channel())) {
                throw new ProtocolException(ErrorCode.BAD_CHANNEL, "no system channel " + request.channel()
                        + ": the server's are $metrics and $logs", request.ref());
            }
            if (room == null) {
                throw new ProtocolException(ErrorCode.TOO_MANY_CHANNELS,
                        "the server holds its maximum of " + context.config().maxChannels() + " channels", request.ref());
            }
            joined.put(request.channel(), room);
        }
        if (request.name() != null && !nameFromToken) {
            name = request.name();
        }
        room.join(new Room.Member(id, name, subscriber), request.since(), request.epoch(), request.ref());
    }

    private void publish(ClientRequest request) throws ProtocolException {
        if (ClientRequest.isSystemChannel(request.channel())) {
            throw new ProtocolException(ErrorCode.READ_ONLY_CHANNEL,
                    request.channel() + " is published by the server only", request.ref());
        }
        Room room = joined.get(request.channel());
        if (room == null) {
            throw new ProtocolException(ErrorCode.NOT_JOINED, "join " + request.channel() + " before publishing", request.ref());
        }
        if (request.payload().isText()) {
            context.checkTextLength(request.payload().text(), request.ref());
        }
        room.publish(subscriber, request.payload(), request.ref());
    }

    private void direct(ChannelHandlerContext ctx, ClientRequest request) throws ProtocolException {
        context.checkTextLength(request.text(), request.ref());
        byte[] message = ServerMessages.direct(id, name, request.text(), System.currentTimeMillis());
        SessionHandler recipient = context.sessions().get(request.to());
        if (recipient != null) {
            recipient.sendDirect(message);
            if (request.ref() != null) {
                reply(ctx, ServerMessages.ack(request.ref(), null, 0));
            }
            return;
        }
        String ref = request.ref();
        String to = request.to();
        // Perhaps on another node of the cluster: answered when it says whether the connection is there.
        CompletableFuture<Boolean> sent = context.peers().direct(to, message);
        if (sent.isDone()) {
            if (!sent.join()) {
                throw new ProtocolException(ErrorCode.UNKNOWN_RECIPIENT, "no connection with id " + to, ref);
            }
            if (ref != null) {
                reply(ctx, ServerMessages.ack(ref, null, 0));
            }
            return;
        }
        sent.whenComplete((delivered, failure) -> ctx.executor().execute(() -> {
            byte[] answer = failure != null
                    ? ServerMessages.error(ErrorCode.UNAVAILABLE, "the cluster did not answer: " + failure.getMessage(), ref)
                    : !delivered ? ServerMessages.error(ErrorCode.UNKNOWN_RECIPIENT, "no connection with id " + to, ref)
                    : ref != null ? ServerMessages.ack(ref, null, 0) : null;
            if (answer != null && ctx.channel().isActive()) {
                reply(ctx, answer);
                ctx.flush();
            }
        }));
    }

    /** Sends a {@code direct} message to this connection, from any thread. */
    public void sendDirect(byte[] message) {
        context.broadcaster().send(subscriber, Broadcaster.encodeText(channel().alloc(), message),
                context.policies().defaultPolicy());
    }

    /** This connection's id, as sent in {@code welcome}. */
    public String id() {
        return id;
    }

    /** The display name, or null when the connection has given none. */
    public String name() {
        return name;
    }

    /** The connection. */
    public Channel channel() {
        return subscriber.channel();
    }

    /** Closes the connection with {@code status}, from any thread. */
    public void close(WebSocketCloseStatus status) {
        channel().writeAndFlush(WebSocketFrame.close(status), channel().voidPromise());
    }

    private static void closeWith(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
        ctx.writeAndFlush(WebSocketFrame.close(status), ctx.voidPromise());
    }

    /** Answers on this connection; one that stopped reading has no room left and is closed as a slow consumer. */
    private void reply(ChannelHandlerContext ctx, byte[] json) {
        if (subscriber.hasRoomFor(json.length + WebSocketFrameEncoder.headerLength(json.length, false))) {
            ctx.write(WebSocketFrame.text(Unpooled.wrappedBuffer(json)), ctx.voidPromise());
        } else {
            closeWith(ctx, Subscriber.SLOW_CONSUMER);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            subscriber.onWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (expiry != null) {
            expiry.cancel(false);
        }
        for (Room room : joined.values()) {
            room.leave(subscriber, null, false);
            context.rooms().release(room);
        }
        joined.clear();
        context.sessions().remove(id, this);
        subscriber.close();
        ctx.fireChannelInactive();
    }
}
