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
 *   <li>A {@link WebSocketProtocolException} from the decoder or the aggregator is the one path
 *       by which a violation ends a connection: a Close frame with its status, then the output is
 *       shut down (FIN) and input is discarded until the peer closes or the close timeout ends.</li>
 *   <li>Once a Close is sent nothing else is: later writes fail and their messages are released.
 *       Data frames that arrive after a Close are dropped.</li>
 *   <li>Every message handed on, every data frame written and every Close sent is reported to a
 *       {@link WebSocketTrafficObserver}, so that metering adds no handler to the pipeline.</li>
 * </ul>
 * Place it after {@link WebSocketMessageAggregator}; the next handler sees only complete text and
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
    /** Where frames encoded beforehand enter the pipeline: past the encoder, which has nothing to do for them. */
    private ChannelHandlerContext encodedFrames;

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
        ChannelHandlerContext encoder = ctx.pipeline().context(WebSocketFrameEncoder.class);
        encodedFrames = encoder != null ? encoder : ctx;
    }

    /**
     * Writes a frame encoded beforehand (a broadcast) without sending it through the pipeline:
     * it is checked and counted as {@link #write} would, then handed to the handlers between the
     * encoder and the socket. With thousands of connections every pipeline step is a cache miss,
     * so this is what keeps fan-out cheap per recipient. Not flushed; see {@link #flushEncoded()}.
     * Call on the connection's event loop.
     *
     * @return false when a Close was already sent: the frame is released and nothing is written
     */
    public boolean writeEncoded(ByteBuf frame) {
        if (closeSent) {
            frame.release();
            return false;
        }
        observer.messageSent(frame.readableBytes());
        encodedFrames.write(frame, encodedFrames.voidPromise());
        return true;
    }

    /** Flushes what {@link #writeEncoded} wrote (and anything else queued), by the same short way. */
    public void flushEncoded() {
        flushPending = false;
        encodedFrames.flush();
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
                } else {
                    ctx.write(WebSocketFrame.pong(frame.content()));
                    flushPending = true;
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

    private void onCloseReceived(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
        if (closeSent) {
            // The peer answered our Close: the handshake is complete.
            ctx.close();
            return;
        }
        closeSent = true;
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
        closeSent = true;
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
        closeSent = true;
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
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelCloseTimeout();
    }

    private void cancelCloseTimeout() {
        if (closeTimeout != null) {
            closeTimeout.cancel(false);
            closeTimeout = null;
        }
    }
}
