package dev.pulse.bench.codec;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

/** The end of a benchmark pipeline: counts and releases what reaches it, in either direction. */
final class Sink {

    private Sink() {
    }

    @Sharable
    static final class Inbound extends ChannelInboundHandlerAdapter {
        long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            count++;
            ReferenceCountUtil.release(msg);
        }
    }

    /** Placed first in the pipeline: swallows what would otherwise be written to the channel. */
    @Sharable
    static final class Outbound extends ChannelOutboundHandlerAdapter {
        long bytes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof io.netty.buffer.ByteBuf) {
                bytes += ((io.netty.buffer.ByteBuf) msg).readableBytes();
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }
    }
}
