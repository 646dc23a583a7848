package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * The control side of a WebSocket connection: answers Ping with Pong, runs the closing handshake
 * in both directions (RFC 6455 §5.5.1, §7) and fails the connection on protocol violations.
 *
 * <ul>
 *   <li>A Ping is answered with a Pong carrying the same payload. Pongs are consumed here.</li>
 *   <li>At the end of each read batch, whatever was written during it (pongs, and the replies of
 *       the handlers after this one) is flushed once, so those handlers need not flush replies
 *       written while reading. Writes made outside a read must be flushed by their writer.</li>
 *   <li>A Close from the peer is answered with a Close carrying the same code (1000 when it had
 *       none), then the TCP connection is closed.</li>
 *   <li>When a Close frame is written from later in the pipeline, this handler waits up to the
 *       close timeout for the peer's Close, then closes the TCP connection either way.</li>
 *   <li>A {@link WebSocketProtocolException} from the decoder (or the inflater) is the one path
 *       by which a violation ends a connection: a Close frame with its status, then the output is
 *       shut down (FIN) and input is discarded until the peer closes or the close timeout ends.</li>
 *   <li>Once a Close is sent nothing else is: later writes fail and their messages are released.
 *       Data frames that arrive after a Close are dropped.</li>
 *   <li>Backpressure: while the channel is not writable (its queue passed the high water mark)
 *       the connection is not read from, so a peer that sends without reading cannot make the
 *       server queue answers without bound; reading resumes once the queue drains below the low
 *       mark. Meanwhile Pings are not answered one by one: only the latest one is kept and
 *       answered when the queue drains (RFC 6455 §5.5.3 allows answering only the most recent).
 *       After a Close is sent the connection is read again, and what arrives is discarded.</li>
 *   <li>Every message handed on, every data frame written and every Close sent is reported to a
 *       {@link WebSocketTrafficObserver}, so that metering adds no handler to the pipeline.</li>
 * </ul>
 * Place it after {@link WebSocketFrameCodec}; the next handler sees only complete text and
 * binary messages.
 */
public final class WebSocketProtocolHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(WebSocketProtocolHandler.class);

    private static final ClosedChannelException CLOSE_SENT = new ClosedChannelException() {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }

        @Override
        public String getMessage() {
            return "a Close frame was already sent";
        }
    };

    private final long closeTimeoutMillis;
    private final WebSocketTrafficObserver observer;

    private boolean closeSent;
    private boolean closeReceived;
    /** Something was written since the last flush: read batches that answer nothing cost no flush. */
    private boolean flushPending;
    private ScheduledFuture<?> closeTimeout;
    /** The frame codec's context: where frames this handler writes by the short way ({@link #writeShared}) enter. */
    private ChannelHandlerContext encodedFrames;
    /** The payload of the latest Ping received while the channel was not writable, to answer once it is. */
    private ByteBuf pendingPong;

    /**
     * @param closeTimeoutMillis how long to wait for the peer's Close after sending ours
     * @param observer told of every message in and out and of every Close sent
     */
    public WebSocketProtocolHandler(long closeTimeoutMillis, WebSocketTrafficObserver observer) {
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.observer = observer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        encodedFrames = ctx.pipeline().context(WebSocketFrameCodec.class);
        if (encodedFrames == null) {
            throw new IllegalStateException("a WebSocketFrameCodec must come before this handler (see WebSocketCodec.install)");
        }
    }

    /**
     * Writes a frame encoded beforehand and shared with other connections (a broadcast) without
     * sending it through the pipeline; the caller keeps its reference. It is checked and counted as
     * {@link #write} would, then copied into the frame codec's cork ({@link WebSocketFrameCodec#writeCopy}),
     * so that the frames of one loop iteration reach the socket as one buffer. With thousands of
     * connections every pipeline step and every queue entry is a cache miss, so this is what keeps
     * fan-out cheap per recipient. Not flushed; see {@link #flushEncoded()}. Call on the
     * connection's event loop.
     *
     * @return false when a Close was already sent: nothing is written
     */
    public boolean writeShared(ByteBuf frame) {
        if (closeSent) {
            return false;
        }
        observer.messageSent(frame.readableBytes());
        codec().writeCopy(encodedFrames, frame);
        return true;
    }

    /**
     * As {@link #writeShared}, for a frame not encoded yet (a message of this connection alone):
     * its header and payload are written into the codec's cork. The caller keeps its reference.
     *
     * @return false when a Close was already sent: nothing is written
     */
    public boolean writeFrame(WebSocketFrame frame) {
        if (closeSent) {
            return false;
        }
        observer.messageSent(frame.content().readableBytes());
        codec().writeCopy(encodedFrames, frame);
        return true;
    }

    /** Flushes what {@link #writeShared} wrote (and anything else queued), by the same short way. */
    public void flushEncoded() {
        flushPending = false;
        codec().flush(encodedFrames);
    }

    /** Bytes written to this connection that are not in its channel's outbound queue yet (see {@link #writeShared}). */
    public int corkedBytes() {
        return codec().corkedBytes();
    }

    private WebSocketFrameCodec codec() {
        return (WebSocketFrameCodec) encodedFrames.handler();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        if (closeReceived) {
            frame.release();
            return;
        }
        switch (frame.opcode()) {
            case WebSocketOpcode.PING:
                if (closeSent) {
                    frame.release();
                } else if (ctx.channel().isWritable()) {
                    ctx.write(WebSocketFrame.pong(frame.content()));
                    flushPending = true;
                } else {
                    deferPong(ctx, frame);
                }
                return;
            case WebSocketOpcode.PONG:
                frame.release();
                return;
            case WebSocketOpcode.CLOSE:
                closeReceived = true;
                WebSocketCloseStatus status;
                try {
                    status = frame.closeStatus();
                } finally {
                    frame.release();
                }
                onCloseReceived(ctx, status);
                return;
            default:
                if (closeSent) {
                    frame.release();
                } else {
                    observer.messageReceived(frame.content().readableBytes());
                    ctx.fireChannelRead(frame);
                }
        }
    }

    /**
     * Keeps a copy of the Ping's payload (at most 125 bytes; the frame may be a slice of a whole
     * read buffer) in place of any older one.
     */
    private void deferPong(ChannelHandlerContext ctx, WebSocketFrame ping) {
        try {
            ByteBuf payload = ping.content();
            if (pendingPong != null) {
                pendingPong.release();
            }
            pendingPong = ctx.alloc().heapBuffer(payload.readableBytes()).writeBytes(payload, payload.readerIndex(),
                    payload.readableBytes());
        } finally {
            ping.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        if (channel.isWritable()) {
            if (pendingPong != null) {
                ByteBuf payload = pendingPong;
                pendingPong = null;
                if (!closeSent) {
                    ctx.writeAndFlush(WebSocketFrame.pong(payload), ctx.voidPromise());
                } else {
                    payload.release();
                }
            }
            channel.config().setAutoRead(true);
        } else if (!closeSent) {
            // Netty finishes the read in progress, then stops reading until this is set back.
            channel.config().setAutoRead(false);
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void onCloseReceived(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
        if (closeSent) {
            // The peer answered our Close: the handshake is complete.
            ctx.close();
            return;
        }
        markCloseSent(ctx);
        WebSocketCloseStatus answer = status.code() == WebSocketCloseStatus.NO_STATUS_RECEIVED.code()
                ? WebSocketCloseStatus.NORMAL_CLOSURE
                : WebSocketCloseStatus.of(status.code(), "");
        observer.closeSent(answer.code());
        ctx.writeAndFlush(WebSocketFrame.close(answer)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // One flush per read batch for the pongs and whatever the endpoint wrote during it.
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushPending = false;
        ctx.flush();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (closeSent) {
            ReferenceCountUtil.release(msg);
            // A void promise would turn the failure into exceptionCaught and cut the closing handshake short.
            if (!promise.isVoid()) {
                promise.tryFailure(CLOSE_SENT);
            }
            return;
        }
        if (msg instanceof WebSocketFrame) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            if (frame.opcode() == WebSocketOpcode.CLOSE) {
                writeClose(ctx, frame, promise);
                return;
            }
            if (!frame.isControl()) {
                observer.messageSent(frame.content().readableBytes());
            }
        } else if (msg instanceof ByteBuf) {
            observer.messageSent(((ByteBuf) msg).readableBytes());
        }
        ctx.write(msg, promise);
        flushPending = true;
    }

    private void writeClose(ChannelHandlerContext ctx, WebSocketFrame close, ChannelPromise promise) {
        markCloseSent(ctx);
        ByteBuf payload = close.content();
        observer.closeSent(payload.readableBytes() >= 2
                ? payload.getUnsignedShort(payload.readerIndex())
                : WebSocketCloseStatus.NO_STATUS_RECEIVED.code());
        ctx.write(close, promise);
        flushPending = true;
        if (!closeReceived) {
            scheduleCloseTimeout(ctx);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof WebSocketProtocolException) {
            WebSocketCloseStatus status = ((WebSocketProtocolException) cause).status();
            log.debug("{} failing the connection: {}", ctx.channel(), status);
            if (closeSent) {
                ctx.close();
            } else {
                failConnection(ctx, status);
            }
        } else if (cause instanceof IOException) {
            // Connection reset and friends: the peer went away, nothing to answer.
            log.debug("{} I/O error: {}", ctx.channel(), cause.toString());
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * Sends Close, then half-closes: closing the socket at once while the peer is still sending
     * would make the kernel answer with a reset, which may destroy our Close before the peer reads
     * it. The decoder discards what still arrives; the peer's end of stream (or the close timeout)
     * closes the connection.
     */
    private void failConnection(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
        markCloseSent(ctx);
        observer.closeSent(status.code());
        ctx.writeAndFlush(WebSocketFrame.close(status)).addListener((ChannelFutureListener) future -> {
            Channel channel = future.channel();
            if (!future.isSuccess() || !(channel instanceof DuplexChannel)) {
                channel.close();
                return;
            }
            ((DuplexChannel) channel).shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            scheduleCloseTimeout(ctx);
        });
    }

    /**
     * From here on nothing but the Close is sent, so the peer's input is read again (whether or
     * not it reads ours): it holds the peer's Close, and everything else in it is discarded.
     */
    private void markCloseSent(ChannelHandlerContext ctx) {
        closeSent = true;
        releasePendingPong();
        ctx.channel().config().setAutoRead(true);
    }

    private void releasePendingPong() {
        if (pendingPong != null) {
            pendingPong.release();
            pendingPong = null;
        }
    }

    private void scheduleCloseTimeout(ChannelHandlerContext ctx) {
        if (closeTimeout == null) {
            closeTimeout = ctx.executor().schedule(() -> {
                log.debug("{} no Close from the peer within {} ms", ctx.channel(), closeTimeoutMillis);
                ctx.close();
            }, closeTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelCloseTimeout();
        releasePendingPong();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelCloseTimeout();
        releasePendingPong();
    }

    private void cancelCloseTimeout() {
        if (closeTimeout != null) {
            closeTimeout.cancel(false);
            closeTimeout = null;
        }
    }
}
