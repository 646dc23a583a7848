package dev.pulse.server.broadcast;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

import java.util.HashMap;
import java.util.Map;

/**
 * A WebSocket connection that receives broadcasts. All its methods run on its channel's event
 * loop, so its state needs no locks.
 *
 * <p>The bound on bytes queued for it is the channel's high write-buffer water mark. A message
 * that would take the queue past the bound while the queue is not empty is handled by the
 * topic's {@link SlowConsumerPolicy}; a single message larger than the bound is still sent to an
 * empty queue, so the queue never holds more than the bound or one message, whichever is larger,
 * plus one coalesced message per topic.
 */
public final class Subscriber {

    /** Sent when the connection is closed under {@link SlowConsumerPolicy#DISCONNECT}. */
    public static final WebSocketCloseStatus SLOW_CONSUMER =
            WebSocketCloseStatus.of(4002, "slow consumer: too many bytes queued");

    private final Channel channel;
    private final BroadcastStats stats;
    private Map<Object, ByteBuf> coalesced;
    private boolean flushQueued;
    private boolean disconnecting;

    public Subscriber(Channel channel, BroadcastStats stats) {
        this.channel = channel;
        this.stats = stats;
    }

    public Channel channel() {
        return channel;
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    /**
     * Writes {@code frame} (an encoded frame; the caller keeps its reference) unless the slow-consumer
     * policy says otherwise. A null policy always writes: for answers the subscriber asked for.
     *
     * @param coalesceKey the topic, under which {@link SlowConsumerPolicy#COALESCE} keeps the newest message
     */
    void deliver(ByteBuf frame, SlowConsumerPolicy policy, Object coalesceKey) {
        if (disconnecting || !channel.isActive()) {
            return;
        }
        if (policy != null && isOverBound(frame.readableBytes())) {
            switch (policy) {
                case DROP:
                    stats.onDropped();
                    return;
                case COALESCE:
                    coalesce(frame, coalesceKey);
                    return;
                case DISCONNECT:
                    disconnect();
                    return;
                default:
                    throw new IllegalStateException(policy.name());
            }
        }
        write(frame.retainedDuplicate());
    }

    private boolean isOverBound(int size) {
        long room = channel.bytesBeforeUnwritable();
        long bound = channel.config().getWriteBufferHighWaterMark();
        boolean queueEmpty = room >= bound;
        return !queueEmpty && room < size;
    }

    private void coalesce(ByteBuf frame, Object key) {
        if (coalesced == null) {
            coalesced = new HashMap<>();
        }
        ByteBuf replaced = coalesced.put(key, frame.retainedDuplicate());
        if (replaced != null) {
            replaced.release();
            stats.onCoalesced();
        }
    }

    private void disconnect() {
        disconnecting = true;
        releaseCoalesced();
        stats.onDisconnected();
        // The Close queues behind the backlog; the protocol handler's close timeout ends TCP if it is never read.
        channel.writeAndFlush(WebSocketFrame.close(SLOW_CONSUMER), channel.voidPromise());
    }

    private void write(ByteBuf frame) {
        channel.write(frame, channel.voidPromise());
        stats.onDelivered();
        if (!flushQueued) {
            flushQueued = true;
            FlushBatch.current().add(this);
        }
    }

    void flushNow() {
        flushQueued = false;
        channel.flush();
    }

    /**
     * Sends the coalesced messages once the backlog has drained. Call from
     * {@code channelWritabilityChanged} when the channel is writable again.
     */
    public void onWritable() {
        if (coalesced == null || coalesced.isEmpty() || disconnecting) {
            return;
        }
        for (ByteBuf frame : coalesced.values()) {
            write(frame);
        }
        coalesced.clear();
    }

    /** Releases what is held for this subscriber. Call when its channel closes. */
    public void close() {
        disconnecting = true;
        releaseCoalesced();
    }

    private void releaseCoalesced() {
        if (coalesced != null) {
            coalesced.values().forEach(ByteBuf::release);
            coalesced.clear();
        }
    }
}
