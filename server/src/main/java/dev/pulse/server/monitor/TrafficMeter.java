package dev.pulse.server.monitor;

import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;

/**
 * Counts a WebSocket connection's traffic into {@link ServerStats}: whole messages in, data frames
 * out (pre-encoded broadcast frames included) and the code of every Close sent. Sits between the
 * aggregator and the protocol handler, where it sees complete messages inbound and, outbound,
 * everything the protocol handler and the handlers after it write.
 */
@Sharable
public final class TrafficMeter extends ChannelDuplexHandler {

    /** The name it is installed under. */
    public static final String NAME = "ws-meter";

    private final ServerStats stats;

    public TrafficMeter(ServerStats stats) {
        this.stats = stats;
    }

    /** Installs the meter before the handler named {@code before} (the protocol handler). */
    public void install(ChannelPipeline pipeline, String before) {
        pipeline.addBefore(before, NAME, this);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof WebSocketFrame && !((WebSocketFrame) msg).isControl()) {
            stats.onMessageIn(((WebSocketFrame) msg).content().readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof WebSocketFrame) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            if (frame.opcode() == WebSocketOpcode.CLOSE) {
                ByteBuf payload = frame.content();
                stats.onCloseSent(payload.readableBytes() >= 2 ? payload.getUnsignedShort(payload.readerIndex()) : 1005);
            } else if (!frame.isControl()) {
                stats.onMessageOut(frame.content().readableBytes());
            }
        } else if (msg instanceof ByteBuf) {
            stats.onMessageOut(((ByteBuf) msg).readableBytes());
        }
        ctx.write(msg, promise);
    }
}
