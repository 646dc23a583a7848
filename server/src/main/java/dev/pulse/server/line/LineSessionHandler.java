package dev.pulse.server.line;

import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.access.Authentication;
import dev.pulse.server.access.Principal;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * The line door: one line connection as a {@link Session}, a member of at most one channel at a
 * time, with the same rooms, presence, limits and error codes as {@code /ws}. Takes the lines of
 * {@link LineDecoder}:
 *
 * <pre>
 * /nick NAME        the name shown with what it says (1-64 characters)
 * /join CHANNEL [T] leaves the channel it is in, joins this one, shows its members and recent history;
 *                   T, a subscription token for the channel, where its namespace asks for one
 * /leave            leaves the channel
 * /auth TOKEN       the connection token (or the API key), before anything else; its subject is the
 *                   name. Required with --jwt-secret unless a namespace admits anonymous sessions
 * /quit             closes the connection
 * anything else     is published as text to the channel joined
 * </pre>
 *
 * Every line counts against the session's rate, refused ones (too long, not UTF-8) included.
 * Answers and channel messages reach the client as lines through {@link LineRenderer}; the door's
 * own notices ({@code * ...}) are held to the session's queue bound like every answer. A
 * connection that sends nothing for {@code --ping-timeout} is closed; one whose queue is past the
 * high mark is not read from until it drains.
 */
public final class LineSessionHandler extends ChannelInboundHandlerAdapter implements Session.MembershipListener {

    private final SessionContext context;
    private final ServerConfig config;
    private Session session;
    /** The one channel joined, or null. */
    private String joined;

    public LineSessionHandler(SessionContext context) {
        this.context = context;
        this.config = context.config();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        session = context.newSession(Session.Kind.LINE, ctx.channel());
        Authentication authentication = context.authentication();
        if (authentication.admitsAnonymous()) {
            session.open(null);
        }
        session.listener(this);
        say("* welcome to Pulse, connection " + session.id());
        say("* " + (authentication.admitsAnonymous() ? authentication.acceptsTokens() ? "/auth TOKEN (optional) first; then " : ""
                : "/auth TOKEN first; then ")
                + "/nick NAME, /join CHANNEL, /leave, /quit; any other line is said in the channel joined");
        ctx.flush();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (!session.admit()) {
                return;
            }
            if (msg instanceof LineDecoder.Refused refused) {
                throw refused.reason() == LineDecoder.Reason.TOO_LONG
                        ? new ProtocolException(ErrorCode.TOO_LONG, "a line may be at most " + config.tcpMaxLine()
                                + " bytes; this one was dropped", null)
                        : new ProtocolException(ErrorCode.BAD_ENCODING, "a line must be UTF-8; this one was dropped", null);
            }
            handle(ctx, (String) msg);
        } catch (ProtocolException e) {
            session.reply(ServerMessages.error(e.code(), e.getMessage(), e.ref()));
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
                ctx.writeAndFlush("* closing: bye").addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (command.equals("/auth")) {
                authenticate(argument);
                return;
            }
            requireOpen();
            switch (command) {
                case "/nick" -> nick(argument);
                case "/join" -> join(argument);
                case "/leave" -> leave();
                default -> throw new ProtocolException(ErrorCode.UNKNOWN_COMMAND,
                        "no command " + command + ": /nick NAME, /join CHANNEL, /leave, /quit", null);
            }
            return;
        }
        requireOpen();
        if (line.isBlank()) {
            return;
        }
        if (joined == null) {
            throw new ProtocolException(ErrorCode.NOT_JOINED, "/join a channel first", null);
        }
        session.handle(ClientRequest.publish(joined, Payload.text(line)));
    }

    private void requireOpen() throws ProtocolException {
        if (!session.isOpen()) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "send /auth TOKEN first", null);
        }
    }

    private void authenticate(String token) throws ProtocolException {
        Authentication authentication = context.authentication();
        if (!authentication.acceptsTokens()) {
            say("* no token needed here");
            return;
        }
        if (session.principal() != null) {
            say("* authenticated as " + session.name());
            return;
        }
        try {
            Principal principal = authentication.authenticate(token);
            if (session.isOpen()) {
                session.signIn(principal); // came in anonymously
            } else {
                session.open(principal);
            }
            say("* authenticated as " + session.name());
        } catch (TokenAuthenticator.AuthenticationException e) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, e.getMessage(), null);
        }
    }

    private void nick(String nick) throws ProtocolException {
        if (nick.isEmpty() || nick.length() > ClientRequest.MAX_NAME_LENGTH || nick.chars().anyMatch(Character::isISOControl)) {
            throw new ProtocolException(ErrorCode.BAD_FIELD,
                    "a name is 1-" + ClientRequest.MAX_NAME_LENGTH + " characters, none of them a control character", null);
        }
        session.rename(nick);
        say("* you are " + nick + (joined == null ? "" : " (from your next /join of a channel)"));
    }

    private void join(String argument) throws ProtocolException {
        int space = argument.indexOf(' ');
        String channel = space < 0 ? argument : argument.substring(0, space);
        String token = space < 0 ? null : argument.substring(space + 1).trim();
        if (token != null && token.indexOf(' ') >= 0) {
            // /join CHANNEL TOKEN: neither has spaces, so this is a channel name with them.
            ClientRequest.checkChannel(argument, null);
        }
        ClientRequest.checkChannel(channel, null);
        if (ClientRequest.isSystemChannel(channel)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL, "the line door has no system channels", null);
        }
        if (channel.equals(joined)) {
            say("* already in " + channel);
            return;
        }
        String refusal = token == null ? session.refusal(Right.JOIN, channel) : null;
        if (refusal != null) {
            // Checked before leaving the channel it is in, which a refused join would cost it otherwise.
            throw new ProtocolException(ErrorCode.FORBIDDEN, refusal, null);
        }
        leave();
        session.handle(ClientRequest.join(channel, null, token));
        joined = channel;
    }

    @Override
    public void joined(String channel) {
    }

    @Override
    public void left(String channel) {
        if (channel.equals(joined)) {
            joined = null;
        }
    }

    /** Leaves the channel joined, if any ({@code * left}). */
    private void leave() throws ProtocolException {
        if (joined != null) {
            String channel = joined;
            joined = null;
            session.handle(ClientRequest.leave(channel));
        }
    }

    /** A notice of the door's own, within the session's queue bound. */
    private void say(String line) {
        if (session.reserve(ByteBufUtil.utf8Bytes(line) + 2)) {
            session.channel().write(line, session.channel().voidPromise());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            ctx.writeAndFlush("* closing: nothing received for " + config.pingTimeout().toMillis() + " ms")
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Like a WebSocket (WebSocketProtocolHandler): nothing more is read while answers cannot leave.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        if (ctx.channel().isWritable()) {
            session.writable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            session.ended();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
