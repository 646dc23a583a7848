package dev.pulse.server.relay;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.server.access.RateLimiter;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.pipeline.WebSocketEndpoint;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.session.SessionHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.List;

/**
 * One connection in a relay room: every text or binary message it sends goes to the room's other
 * members as it is, same opcode, encoded once; what the others send reaches it the same way,
 * under the room's slow-consumer policy. The message rate of {@code /ws} applies: messages over
 * it are dropped, and as many dropped in a row as the burst close the connection with 4003.
 *
 * <p>Installed after {@link dev.pulse.codec.WebSocketProtocolHandler}; sees complete messages.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {

    public static final String PREFIX = "/rooms/";

    private final SessionContext context;
    private final String roomName;
    private final RateLimiter rateLimiter;
    private Subscriber subscriber;
    private RelayRoom room;

    RelayHandler(SessionContext context, String roomName) {
        this.context = context;
        this.roomName = roomName;
        this.rateLimiter = new RateLimiter(context.config().messageRate(), context.config().messageBurst());
    }

    /** {@code /rooms/NAME} for every NAME that is a valid channel name without {@code $}. */
    public static WebSocketEndpoint endpoint(SessionContext context) {
        ServerConfig config = context.config();
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(config.wsMaxMessageSize())
                .maxMessagePayloadLength(config.wsMaxMessageSize())
                .build();
        return WebSocketEndpoint.under(PREFIX, RelayHandler::isRoomName, List.of(), decoderConfig, false,
                name -> new RelayHandler(context, name));
    }

    /** Room names follow the channel rule, without the {@code $} of system channels. */
    public static boolean isRoomName(String name) {
        return ClientRequest.isChannelName(name) && !ClientRequest.isSystemChannel(name);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        subscriber = new Subscriber(ctx.channel(), context.stats(), context.config().maxQueuedBytes());
        room = context.relays().acquire(roomName, ctx.channel().eventLoop());
        if (room == null) {
            ctx.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.of(1013,
                    "the server holds its maximum of relay rooms")), ctx.voidPromise());
            return;
        }
        room.join(subscriber);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        try {
            if (room == null) {
                return;
            }
            if (!rateLimiter.tryAcquire()) {
                if (rateLimiter.refusedInARow() >= context.config().messageBurst()) {
                    ctx.writeAndFlush(WebSocketFrame.close(SessionHandler.RATE_LIMITED), ctx.voidPromise());
                }
                return;
            }
            room.relay(Broadcaster.encode(ctx.alloc(), frame.opcode(), frame.content()), subscriber);
        } finally {
            frame.release();
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
        if (room != null) {
            room.leave(subscriber);
            context.relays().release(room);
            room = null;
        }
        subscriber.close();
        ctx.fireChannelInactive();
    }
}
