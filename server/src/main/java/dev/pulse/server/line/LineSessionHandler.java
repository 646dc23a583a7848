package dev.pulse.server.line;

import dev.pulse.server.access.RateLimiter;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.room.Room;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * One line connection: a member of at most one channel at a time, with the same rooms, presence,
 * limits and error codes as a {@code /ws} session. Takes the lines of {@link LineDecoder}:
 *
 * <pre>
 * /nick NAME        the name shown with what it says (1-64 characters)
 * /join CHANNEL     leaves the channel it is in, joins this one, shows its members and recent history
 * /leave            leaves the channel
 * /auth TOKEN       with --jwt-secret: the token, before anything else; its subject is the name
 * /quit             closes the connection
 * anything else     is published as text to the channel joined
 * </pre>
 *
 * Answers and channel messages reach the client as lines through {@link LineRenderer}. A
 * connection that sends nothing for {@code --ping-timeout} is closed; one whose queue is past the
 * high mark is not read from until it drains, and an answer that would take it past
 * {@code --max-queued-bytes} closes it.
 */
public final class LineSessionHandler extends ChannelInboundHandlerAdapter {

    private final SessionContext context;
    private final ServerConfig config;
    private final TokenAuthenticator authenticator;
    private final RateLimiter rateLimiter;
    private final String id;
    private Subscriber subscriber;
    private Room joined;
    private String name;
    private boolean authenticated;

    public LineSessionHandler(SessionContext context) {
        this.context = context;
        this.config = context.config();
        this.authenticator = config.jwtSecret() == null ? null : new TokenAuthenticator(config.jwtSecret());
        this.authenticated = authenticator == null;
        this.rateLimiter = new RateLimiter(config.messageRate(), config.messageBurst());
        this.id = context.newConnectionId();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        subscriber = new Subscriber(ctx.channel(), context.stats(), config.maxQueuedBytes());
        ctx.write("* welcome to Pulse, connection " + id);
        ctx.writeAndFlush("* " + (authenticated ? "" : "/auth TOKEN first; then ")
                + "/nick NAME, /join CHANNEL, /leave, /quit; any other line is said in the channel joined");
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof LineDecoder.Refused refused) {
                throw refused.reason() == LineDecoder.Reason.TOO_LONG
                        ? new ProtocolException(ErrorCode.TOO_LONG, "a line may be at most " + config.tcpMaxLine()
                                + " bytes; this one was dropped", null)
                        : new ProtocolException(ErrorCode.BAD_ENCODING, "a line must be UTF-8; this one was dropped", null);
            }
            if (!rateLimiter.tryAcquire()) {
                if (rateLimiter.refusedInARow() >= config.messageBurst()) {
                    close(ctx, "more than " + config.messageRate() + " lines per second");
                    return;
                }
                throw new ProtocolException(ErrorCode.RATE_LIMITED, "more than " + config.messageRate()
                        + " lines per second; this one was dropped", null);
            }
            handle(ctx, (String) msg);
        } catch (ProtocolException e) {
            reply(ctx, "! error " + e.code().wire() + ": " + e.getMessage());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void handle(ChannelHandlerContext ctx, String line) throws ProtocolException {
        if (line.startsWith("/")) {
            int space = line.indexOf(' ');
            String command = space < 0 ? line : line.substring(0, space);
            String argument = space < 0 ? "" : line.substring(space + 1).trim();
            if (command.equals("/quit")) {
                close(ctx, "bye");
                return;
            }
            if (command.equals("/auth")) {
                authenticate(ctx, argument);
                return;
            }
            requireAuthenticated();
            switch (command) {
                case "/nick" -> nick(ctx, argument);
                case "/join" -> join(ctx, argument);
                case "/leave" -> leave(true);
                default -> throw new ProtocolException(ErrorCode.UNKNOWN_COMMAND,
                        "no command " + command + ": /nick NAME, /join CHANNEL, /leave, /quit", null);
            }
            return;
        }
        requireAuthenticated();
        if (line.isBlank()) {
            return;
        }
        if (joined == null) {
            throw new ProtocolException(ErrorCode.NOT_JOINED, "/join a channel first", null);
        }
        context.checkTextLength(line, null);
        joined.publish(subscriber, Payload.text(line), null);
    }

    private void requireAuthenticated() throws ProtocolException {
        if (!authenticated) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "send /auth TOKEN first", null);
        }
    }

    private void authenticate(ChannelHandlerContext ctx, String token) throws ProtocolException {
        if (authenticator == null) {
            reply(ctx, "* no token needed here");
            return;
        }
        try {
            TokenAuthenticator.Principal principal = authenticator.verify(token);
            authenticated = true;
            name = principal.subject();
            reply(ctx, "* authenticated as " + name);
        } catch (TokenAuthenticator.AuthenticationException e) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, e.getMessage(), null);
        }
    }

    private void nick(ChannelHandlerContext ctx, String nick) throws ProtocolException {
        if (authenticator != null) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "the name is the token's subject: " + name, null);
        }
        if (nick.isEmpty() || nick.length() > ClientRequest.MAX_NAME_LENGTH || nick.chars().anyMatch(Character::isISOControl)) {
            throw new ProtocolException(ErrorCode.BAD_FIELD,
                    "a name is 1-" + ClientRequest.MAX_NAME_LENGTH + " characters, none of them a control character", null);
        }
        name = nick;
        reply(ctx, "* you are " + name + (joined == null ? "" : " (from your next /join of a channel)"));
    }

    private void join(ChannelHandlerContext ctx, String channel) throws ProtocolException {
        ClientRequest.checkChannel(channel, null);
        if (ClientRequest.isSystemChannel(channel)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL, "the line door has no system channels", null);
        }
        if (joined != null && joined.name().equals(channel)) {
            reply(ctx, "* already in " + channel);
            return;
        }
        Room room = context.rooms().acquire(channel, ctx.channel().eventLoop());
        if (room == null) {
            throw new ProtocolException(ErrorCode.TOO_MANY_CHANNELS,
                    "the server holds its maximum of " + config.maxChannels() + " channels", null);
        }
        leave(true);
        joined = room;
        room.join(new Room.Member(id, name, subscriber), -1, null, null);
    }

    /** Leaves the channel joined, if any; {@code answer}: tell the client ({@code * left}). */
    private void leave(boolean answer) {
        if (joined != null) {
            joined.leave(subscriber, null, answer);
            context.rooms().release(joined);
            joined = null;
        }
    }

    /**
     * Answers on this connection, within {@code --max-queued-bytes}: a client that sends without
     * reading is closed as a slow consumer rather than queued for without end (and while its queue
     * is past the high mark it is not read from at all).
     */
    private void reply(ChannelHandlerContext ctx, String line) {
        if (subscriber.hasRoomFor(ByteBufUtil.utf8Bytes(line) + 2)) {
            ctx.write(line);
        } else {
            close(ctx, Subscriber.SLOW_CONSUMER.reason());
        }
    }

    private static void close(ChannelHandlerContext ctx, String why) {
        ctx.writeAndFlush("* closing: " + why).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            close(ctx, "nothing received for " + config.pingTimeout().toMillis() + " ms");
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Like a WebSocket (WebSocketProtocolHandler): nothing more is read while answers cannot leave.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        if (ctx.channel().isWritable()) {
            subscriber.onWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leave(false);
        if (subscriber != null) {
            subscriber.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
