package dev.pulse.server.heartbeat;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Pings a quiet peer and closes a dead one. Netty's {@link IdleStateHandler}, placed before the
 * frame decoder so that any bytes count, fires a reader-idle event after each interval in which
 * nothing arrived. Each event sends a protocol Ping, which a live peer answers with a Pong; once
 * nothing has arrived for the timeout, the connection is closed with {@link #HEARTBEAT_TIMEOUT}
 * (4000). The close therefore comes between the timeout and the timeout plus one interval.
 */
public final class HeartbeatHandler extends ChannelInboundHandlerAdapter {

    public static final WebSocketCloseStatus HEARTBEAT_TIMEOUT =
            WebSocketCloseStatus.of(4000, "heartbeat timeout: nothing received");

    static final String IDLE = "ws-idle";
    /** The name this handler is installed under; the endpoint's handler goes after it. */
    public static final String HANDLER_NAME = "ws-heartbeat";

    private static final Logger log = LoggerFactory.getLogger(HeartbeatHandler.class);

    private final long intervalNanos;
    private final long timeoutNanos;
    private long quietNanos;

    private HeartbeatHandler(Duration interval, Duration timeout) {
        this.intervalNanos = interval.toNanos();
        this.timeoutNanos = timeout.toNanos();
    }

    /**
     * Adds the idle detector before {@code decoderName} and this handler after {@code afterName}
     * (the protocol handler, so that the Close it may send is seen there).
     */
    public static void install(ChannelPipeline pipeline, String decoderName, String afterName,
                               Duration interval, Duration timeout) {
        pipeline.addBefore(decoderName, IDLE, new IdleStateHandler(interval.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        pipeline.addAfter(afterName, HANDLER_NAME, new HeartbeatHandler(interval, timeout));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof IdleStateEvent) || ((IdleStateEvent) evt).state() != IdleState.READER_IDLE) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        quietNanos = ((IdleStateEvent) evt).isFirst() ? intervalNanos : quietNanos + intervalNanos;
        if (quietNanos >= timeoutNanos) {
            log.debug("{} nothing received for {} ms: closing", ctx.channel(), TimeUnit.NANOSECONDS.toMillis(quietNanos));
            ctx.writeAndFlush(WebSocketFrame.close(HEARTBEAT_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(WebSocketFrame.ping(Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
    }
}
