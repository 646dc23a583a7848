package dev.pulse.server.broadcast;

import dev.pulse.codec.PerMessageDeflateHandler;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketProtocolHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;

import java.util.HashMap;
import java.util.Map;

/**
 * A connection that receives broadcasts: a WebSocket, or (frames rendered by its pipeline) a line
 * connection. All its methods run on its channel's event
 * loop, so its state needs no locks.
 *
 * <p>Once its queue passes the channel's high write-buffer water mark, Netty marks the channel
 * unwritable, and until the queue drains below the low mark every message is handled by its
 * topic's {@link SlowConsumerPolicy}. The queue therefore holds at most the high mark plus the
 * one message that crossed it, and the server sets the high mark that far below
 * {@code --max-queued-bytes}. Answers the subscriber asked for use the room left up to the bound;
 * one that does not fit closes it as a slow consumer. Besides, at most one coalesced message per
 * topic waits here.
 */
public final class Subscriber {

    private final Channel channel;
    private final WebSocketProtocolHandler protocol;
    /** How this connection compresses what it is sent: not at all, with the shared copy, or on its own. */
    private final Compression compression;
    private final BroadcastStats stats;
    private final int maxQueuedBytes;
    private Map<Object, ByteBuf> coalesced;
    private boolean flushQueued;
    private boolean disconnecting;

    /**
     * @param maxQueuedBytes the hard bound on bytes queued for this connection
     */
    public Subscriber(Channel channel, BroadcastStats stats, int maxQueuedBytes) {
        this.channel = channel;
        this.protocol = channel.pipeline().get(WebSocketProtocolHandler.class);
        this.stats = stats;
        this.maxQueuedBytes = maxQueuedBytes;
        PerMessageDeflateHandler deflate = channel.pipeline().get(PerMessageDeflateHandler.class);
        // A connection that does not speak WebSocket (the line door) renders frames in its pipeline.
        this.compression = protocol == null ? Compression.PIPELINE
                : deflate == null || !deflate.agreement().serverCompresses() ? Compression.NONE
                : deflate.agreement().serverNoContextTakeover() ? Compression.SHARED : Compression.OWN;
    }

    /**
     * How frames reach the connection: encoded as they are ({@code NONE}), in the broadcaster's
     * shared compressed copy ({@code SHARED}), or as frame messages through the pipeline, for its
     * own deflater ({@code OWN}) or for a handler that renders them otherwise ({@code PIPELINE}).
     */
    private enum Compression { NONE, SHARED, OWN, PIPELINE }

    /** Whether this member takes the broadcaster's compressed copy (permessage-deflate without server context takeover). */
    public boolean sharesCompression() {
        return compression == Compression.SHARED;
    }

    /**
     * Whether an answer of {@code size} bytes may be queued within the hard bound. While the
     * channel is writable the queue is below the high mark, which leaves room for any message
     * and for any answer the server builds (their size is capped to fit); past it, only what
     * still fits.
     */
    public boolean hasRoomFor(int size) {
        ChannelOutboundBuffer queue = channel.unsafe().outboundBuffer();
        return queue != null && queue.totalPendingWriteBytes() + size <= maxQueuedBytes;
    }

    public Channel channel() {
        return channel;
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    /**
     * Writes {@code frame} (an encoded frame; the caller keeps its reference) unless the slow-consumer
     * policy says otherwise. A null policy is for answers the subscriber asked for: written when
     * {@link #hasRoomFor} them, else the subscriber is disconnected.
     *
     * @param compressed the same frame compressed for members that share compression, or null
     * @param coalesceKey the topic, under which {@link SlowConsumerPolicy#COALESCE} keeps the newest message
     */
    void deliver(ByteBuf plain, ByteBuf compressed, SlowConsumerPolicy policy, Object coalesceKey) {
        if (disconnecting || !channel.isActive()) {
            return;
        }
        ByteBuf frame = compression == Compression.SHARED && compressed != null ? compressed : plain;
        boolean writable = channel.isWritable();
        if (writable && coalesced != null && !coalesced.isEmpty()) {
            // The queue drained before the writability event ran: older coalesced messages go first.
            onWritable();
        }
        if (policy == null ? !hasRoomFor(frame.readableBytes()) : !writable) {
            switch (policy == null ? SlowConsumerPolicy.DISCONNECT : policy) {
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
        channel.writeAndFlush(WebSocketFrame.close(CloseCodes.SLOW_CONSUMER), channel.voidPromise());
    }

    private void write(ByteBuf frame) {
        if (compression == Compression.OWN || compression == Compression.PIPELINE) {
            writeThroughPipeline(frame);
        } else if (!protocol.writeEncoded(frame)) {
            return;
        }
        stats.onDelivered();
        if (!flushQueued) {
            flushQueued = true;
            FlushBatch.current().add(this);
        }
    }

    /**
     * A member with its own compression context: the frame goes through the pipeline as a
     * message, so that the connection's deflater compresses it in order with everything else.
     */
    private void writeThroughPipeline(ByteBuf frame) {
        try {
            int offset = Broadcaster.payloadOffset(frame);
            ByteBuf payload = frame.retainedSlice(frame.readerIndex() + offset, frame.readableBytes() - offset);
            channel.write(new WebSocketFrame(Broadcaster.opcode(frame), true, 0, payload), channel.voidPromise());
        } finally {
            frame.release();
        }
    }

    void flushNow() {
        flushQueued = false;
        if (protocol != null) {
            protocol.flushEncoded();
        } else {
            channel.flush();
        }
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
