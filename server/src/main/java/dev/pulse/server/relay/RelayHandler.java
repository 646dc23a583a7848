package dev.pulse.server.relay;

import dev.pulse.codec.WebSocketFrame;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.Right;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.room.RelayRoom;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The relay-room door, {@code /rooms/NAME}: one connection in a relay room, as a
 * {@link Session} of its own (in the session table, so {@code direct} and the API's disconnect
 * reach it). Every text or binary message it sends goes to the room's other members as it is,
 * same opcode, encoded once; what the others send reaches it the same way, under the room's
 * slow-consumer policy. The session's rates apply ({@code --message-rate} per message,
 * {@code --relay-byte-rate} in bytes): a message over either is dropped (a relay room carries no
 * answers), and as many dropped in a row as {@code --message-burst} close the connection with
 * {@link CloseCodes#RATE_LIMITED}. The room is the channel of its name to the server's rules: a
 * session without the {@code join} right there is closed with {@link CloseCodes#FORBIDDEN} as it
 * comes in, one without {@code publish} when it first sends.
 *
 * <p>Installed after {@link dev.pulse.codec.WebSocketProtocolHandler}; sees complete messages.
 */
public final class RelayHandler extends ChannelInboundHandlerAdapter {

    public static final String PREFIX = "/rooms/";

    private final SessionContext context;
    private final String roomName;
    private Session session;
    private RelayRoom room;
    /** Whether the rules let this session send to the room; settled when it comes in. */
    private boolean mayPublish;

    public RelayHandler(SessionContext context, String roomName) {
        this.context = context;
        this.roomName = roomName;
    }

    /** Room names follow the channel rule, without the {@code $} of system channels. */
    public static boolean isRoomName(String name) {
        return ClientRequest.isChannelName(name) && !ClientRequest.isSystemChannel(name);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session = context.newSession(Session.Kind.RELAY, ctx.channel());
        session.open(ctx.channel().attr(AccessPolicy.PRINCIPAL).get());
        String refusal = session.refusal(Right.JOIN, roomName);
        if (refusal != null) {
            session.close(CloseCodes.forbidden(refusal));
            return;
        }
        mayPublish = session.refusal(Right.PUBLISH, roomName) == null;
        room = context.relays().acquire(roomName, ctx.channel().eventLoop());
        if (room == null) {
            session.close(CloseCodes.CHANNELS_FULL);
            return;
        }
        room.join(session.outbound());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (room == null || !session.admit()) {
                return;
            }
            if (!mayPublish) {
                session.close(CloseCodes.forbidden(session.refusal(Right.PUBLISH, roomName)));
                return;
            }
            if (!session.admitRelay(frame.content().readableBytes())) {
                return;
            }
            room.relay(Broadcaster.encode(ctx.alloc(), frame.opcode(), frame.content()), session.outbound());
        } catch (ProtocolException e) {
            // Over a rate: dropped, as the class says; a relay room has no answers to carry an error.
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
        if (room != null) {
            room.leave(session.outbound());
            context.relays().release(room);
            room = null;
        }
        session.ended();
        ctx.fireChannelInactive();
    }
}
