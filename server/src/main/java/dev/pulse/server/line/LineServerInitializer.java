package dev.pulse.server.line;

import dev.pulse.server.session.SessionContext;
import dev.pulse.server.access.ConnectionLimiter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;

/** The pipeline of a line connection: idle check, lines in, rendered lines out, the session. */
public final class LineServerInitializer extends ChannelInitializer<Channel> {

    private final SessionContext context;
    private final ChannelGroup connections;
    private final ConnectionLimiter limiter;

    /**
     * @param connections where each line connection is added, for the graceful shutdown
     * @param limiter the limits of {@code --max-connections} and {@code --max-connections-per-ip},
     *        shared with the WebSocket connections
     */
    public LineServerInitializer(SessionContext context, ChannelGroup connections, ConnectionLimiter limiter) {
        this.context = context;
        this.connections = connections;
        this.limiter = limiter;
    }

    @Override
    protected void initChannel(Channel channel) {
        connections.add(channel);
        ConnectionLimiter.Slot slot = limiter.tryAcquire(channel, ConnectionLimiter.remoteIp(channel), ConnectionLimiter.Kind.LINE);
        if (!slot.acquired()) {
            channel.pipeline().addLast(new LineRenderer());
            channel.writeAndFlush("* closing: " + (slot.result() == ConnectionLimiter.Result.IP_FULL
                    ? "too many connections from your address" : "the server is full"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        channel.pipeline()
                .addLast("idle", new IdleStateHandler(context.config().pingTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                .addLast("lines", new LineDecoder(context.config().tcpMaxLine()))
                .addLast("render", new LineRenderer())
                .addLast("session", new LineSessionHandler(context));
    }
}
