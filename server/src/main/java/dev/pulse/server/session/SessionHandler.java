package dev.pulse.server.session;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The {@code /ws} door: each text frame is one JSON request for the connection's {@link Session},
 * which sends {@code welcome} first and answers during the read (flushed with the read batch);
 * what rooms produce arrives through the broadcaster. A binary frame is answered
 * {@code binary_not_supported}; every frame counts against the session's rate.
 *
 * <p>Installed after {@link dev.pulse.codec.WebSocketProtocolHandler}; sees complete messages.
 */
public final class SessionHandler extends ChannelInboundHandlerAdapter {

    public static final String PATH = "/ws";

    private final SessionContext context;
    private Session session;

    public SessionHandler(SessionContext context) {
        this.context = context;
    }

    /** The limits of {@code /ws} messages: JSON text up to {@code --ws-max-message-size}. */
    public static WebSocketDecoderConfig decoderConfig(ServerConfig config) {
        return WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(config.wsMaxMessageSize())
                .maxMessagePayloadLength(config.wsMaxMessageSize())
                .build();
    }

    /** This connection's session; null before the handler is added. */
    public Session session() {
        return session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session = context.newSession(Session.Kind.WS, ctx.channel());
        session.open(ctx.channel().attr(AccessPolicy.PRINCIPAL).get(), ctx.channel().attr(AccessPolicy.HEADERS).getAndSet(null),
                () -> {
                    session.reply(session.welcome());
                    ctx.flush();
                }, why -> session.close(CloseCodes.forbidden(why)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (!session.admit()) {
                return;
            }
            if (!frame.isText()) {
                throw new ProtocolException(ErrorCode.BINARY_NOT_SUPPORTED, "/ws takes JSON in text frames only", null);
            }
            session.handle(ClientRequest.parse(frame.content()));
        } catch (ProtocolException e) {
            session.reply(ServerMessages.error(e.code(), e.getMessage(), e.ref()));
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            session.writable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.ended();
        ctx.fireChannelInactive();
    }
}
