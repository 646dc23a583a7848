package dev.pulse.codec;

import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Assembles fragmented messages: a data frame with FIN=0 and its continuations come out as one
 * final {@link WebSocketFrame} with the first fragment's opcode and RSV bits. Unfragmented
 * messages and control frames pass straight through, without an allocation.
 *
 * <p>Expects frames in the order {@link WebSocketFrameDecoder} guarantees. A message whose
 * payload grows past the limit raises a {@link WebSocketProtocolException} with 1009 through
 * {@code exceptionCaught} and its fragments are dropped. The decoder already enforces the same
 * limit on the wire; this check holds for payloads that an extension has transformed.
 */
public final class WebSocketMessageAggregator extends ChannelInboundHandlerAdapter {

    /** Fragments kept as components before the composite consolidates them into one buffer. */
    private static final int MAX_COMPONENTS = 1024;

    private final int maxMessagePayloadLength;

    private CompositeByteBuf fragments;
    private int opcode;
    private int rsv;

    public WebSocketMessageAggregator(int maxMessagePayloadLength) {
        this.maxMessagePayloadLength = maxMessagePayloadLength;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame) || ((WebSocketFrame) msg).isControl()) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        int size = frame.content().readableBytes();
        if (frame.opcode() != WebSocketOpcode.CONTINUATION) {
            if (size > maxMessagePayloadLength) {
                frame.release();
                tooBig(ctx, size);
            } else if (frame.isFinal()) {
                ctx.fireChannelRead(frame);
            } else {
                opcode = frame.opcode();
                rsv = frame.rsv();
                fragments = ctx.alloc().compositeBuffer(MAX_COMPONENTS);
                fragments.addComponent(true, frame.content());
            }
            return;
        }
        if (fragments == null) {
            // The rest of a message that was already refused.
            frame.release();
            return;
        }
        if (fragments.readableBytes() + size > maxMessagePayloadLength) {
            frame.release();
            tooBig(ctx, fragments.readableBytes() + size);
            return;
        }
        fragments.addComponent(true, frame.content());
        if (frame.isFinal()) {
            WebSocketFrame message = new WebSocketFrame(opcode, true, rsv, fragments);
            fragments = null;
            ctx.fireChannelRead(message);
        }
    }

    private void tooBig(ChannelHandlerContext ctx, int size) {
        discardFragments();
        ctx.fireExceptionCaught(new WebSocketProtocolException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                "message of " + size + "+ bytes exceeds the limit of " + maxMessagePayloadLength));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discardFragments();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discardFragments();
    }

    private void discardFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }
}
