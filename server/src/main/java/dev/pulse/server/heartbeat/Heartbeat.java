package dev.pulse.server.heartbeat;

import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Pings quiet peers and closes dead ones, with one timer per event loop instead of one per
 * connection.
 *
 * <p>Each event loop that carries a watched connection runs a sweep {@value #TICKS_PER_INTERVAL}
 * times per ping interval. The sweep walks the loop's connections and asks each one's frame
 * codec how many bytes it has received: when the count has not moved for a whole interval the
 * connection gets a protocol Ping, and another after each further quiet interval; a live peer's
 * Pong (or anything else it sends) moves the count. Once a connection has been quiet for the
 * timeout it is sent {@link CloseCodes#HEARTBEAT_TIMEOUT} (4000) and closed. Both therefore happen up to a
 * quarter interval late, never early.
 *
 * <p>A connection costs one small list node here and no pipeline handler: a per-connection
 * {@code IdleStateHandler} would cost a handler context, a handler and a scheduled task each,
 * about 300 bytes, plus a step on every read.
 */
public final class Heartbeat {

    static final int TICKS_PER_INTERVAL = 4;

    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

    private final long tickNanos;
    private final int timeoutTicks;
    private final Map<EventExecutor, Sweep> sweeps = new ConcurrentHashMap<>();

    public Heartbeat(Duration interval, Duration timeout) {
        this.tickNanos = Math.max(1, interval.toNanos() / TICKS_PER_INTERVAL);
        this.timeoutTicks = (int) Math.min(Integer.MAX_VALUE, (timeout.toNanos() + tickNanos - 1) / tickNanos);
    }

    /**
     * Watches an upgraded connection until it closes. Call on the connection's event loop, after
     * the WebSocket codec is installed.
     */
    public void watch(Channel channel, WebSocketFrameCodec frames) {
        EventExecutor loop = channel.eventLoop();
        assert loop.inEventLoop();
        if (!channel.isActive()) {
            return;
        }
        Peer peer = new Peer(channel, frames, sweeps.computeIfAbsent(loop, this::startSweep));
        peer.link();
        channel.closeFuture().addListener(peer);
    }

    private Sweep startSweep(EventExecutor loop) {
        Sweep sweep = new Sweep();
        loop.scheduleAtFixedRate(sweep, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        return sweep;
    }

    /** The connections of one event loop, in a list linked through its nodes, and their check. */
    private final class Sweep implements Runnable {
        private final Heartbeat heartbeat = Heartbeat.this;
        private Peer head;

        @Override
        public void run() {
            for (Peer peer = head; peer != null; peer = peer.next) {
                peer.check();
            }
        }
    }

    /** One watched connection, touched only on its event loop; static, to save an outer reference. */
    private static final class Peer implements ChannelFutureListener {
        private final Channel channel;
        private final WebSocketFrameCodec frames;
        private final Sweep sweep;
        private Peer prev;
        private Peer next;
        private long seenBytes;
        private int quietTicks;

        Peer(Channel channel, WebSocketFrameCodec frames, Sweep sweep) {
            this.channel = channel;
            this.frames = frames;
            this.sweep = sweep;
            this.seenBytes = frames.receivedBytes();
        }

        void link() {
            next = sweep.head;
            if (next != null) {
                next.prev = this;
            }
            sweep.head = this;
        }

        /** Unlinks on close: called once, after {@link #link()}. */
        @Override
        public void operationComplete(ChannelFuture future) {
            if (prev != null) {
                prev.next = next;
            } else {
                sweep.head = next;
            }
            if (next != null) {
                next.prev = prev;
            }
            // next is kept: a sweep standing on this node walks on from it.
            prev = null;
        }

        void check() {
            if (!channel.isActive()) {
                return;
            }
            long received = frames.receivedBytes();
            if (received != seenBytes) {
                seenBytes = received;
                quietTicks = 0;
                return;
            }
            quietTicks++;
            if (quietTicks >= sweep.heartbeat.timeoutTicks) {
                log.debug("{} nothing received for {} ms: closing", channel,
                        TimeUnit.NANOSECONDS.toMillis(quietTicks * sweep.heartbeat.tickNanos));
                channel.writeAndFlush(WebSocketFrame.close(CloseCodes.HEARTBEAT_TIMEOUT)).addListener(ChannelFutureListener.CLOSE);
            } else if (quietTicks % TICKS_PER_INTERVAL == 0) {
                channel.writeAndFlush(WebSocketFrame.ping(Unpooled.EMPTY_BUFFER), channel.voidPromise());
            }
        }
    }
}
