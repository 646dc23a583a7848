package dev.pulse.server.socketio;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.CharsetUtil;

import java.util.List;

/**
 * The WebSocket transport of an Engine.IO session, installed after
 * {@link dev.pulse.codec.WebSocketProtocolHandler} on {@code /socket.io/?transport=websocket}.
 * Without a {@code sid} it opens a session carried by this WebSocket from the start; with one it
 * upgrades that polling session: {@code 2probe} is answered {@code 3probe}, and the {@code 5}
 * (upgrade) packet moves the session here. Each text frame is one packet, each binary frame one
 * binary message; a frame that is not a valid packet closes the connection with 1002.
 */
final class EngineIoWebSocketHandler extends ChannelInboundHandlerAdapter {

    private static final WebSocketCloseStatus BAD_PACKET = WebSocketCloseStatus.of(1002, "not an Engine.IO packet");

    private final EngineIoServer server;
    private final String sid;
    private EngineIoChannel session;
    /** Whether the session speaks over this WebSocket (it opened here, or upgraded). */
    private boolean carrying;

    EngineIoWebSocketHandler(EngineIoServer server, String sid) {
        this.server = server;
        this.sid = sid;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (sid == null) {
            session = server.openOnWebSocket(ctx.channel());
            carrying = true;
            return;
        }
        session = server.session(sid);
        if (session == null || !session.claim(ctx.channel())) {
            // Closed, or claimed by another WebSocket, between the check and the upgrade.
            session = null;
            ctx.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.POLICY_VIOLATION), ctx.voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        EngineIoPacket packet;
        try {
            packet = frame.isText() ? EngineIoPacket.parse(frame.content().toString(CharsetUtil.UTF_8))
                    : EngineIoPacket.binary(ByteBufUtil.getBytes(frame.content()));
        } catch (MalformedPacketException e) {
            fail(ctx);
            return;
        } finally {
            frame.release();
        }
        if (session == null) {
            return;
        }
        EngineIoChannel target = session;
        if (carrying) {
            onSessionLoop(() -> target.receive(List.of(packet)));
            return;
        }
        // Upgrading: only the probe and then the upgrade packet belong here.
        if (packet.type() == EngineIoPacket.Type.PING && "probe".equals(packet.text())) {
            onSessionLoop(() -> target.probe(ctx.channel()));
        } else if (packet.type() == EngineIoPacket.Type.UPGRADE) {
            carrying = true;
            onSessionLoop(() -> target.upgrade(ctx.channel()));
        } else {
            fail(ctx);
        }
    }

    /** Runs at once when the session shares this connection's loop (no hand-over), else as a task there; in order either way. */
    private void onSessionLoop(Runnable task) {
        if (session.eventLoop().inEventLoop()) {
            task.run();
        } else {
            session.eventLoop().execute(task);
        }
    }

    private void fail(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(WebSocketFrame.close(BAD_PACKET), ctx.voidPromise());
        if (session != null) {
            EngineIoChannel target = session;
            onSessionLoop(target::close);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && carrying) {
            onSessionLoop(session::transportWritable);
        }
        ctx.fireChannelWritabilityChanged();
    }
}
