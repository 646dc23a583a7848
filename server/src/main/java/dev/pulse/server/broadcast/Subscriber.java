package dev.pulse.server.broadcast;

import dev.pulse.codec.PerMessageDeflateHandler;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameCodec;
import dev.pulse.codec.WebSocketProtocolHandler;
import dev.pulse.server.protocol.CloseCodes;
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
 * topic's {@link SlowConsumerPolicy}. Frames written in one loop iteration wait in the frame
 * codec's cork until the batch flush (at most {@link WebSocketFrameCodec#CORK_LIMIT} bytes, then
 * handed to the queue). The queue therefore holds at most the high mark plus the one message
 * that crossed it plus one cork, and the server sets the high mark that far below
 * {@code --max-queued-bytes} (but never under half of it: a bound smaller than about twice the
 * largest frame plus a cork may be passed by up to those). Answers the subscriber asked for use
 * the room left up to the bound; one that does not fit closes it as a slow consumer. Besides, at
 * most one coalesced message per topic waits here.
 */
public final class Subscriber {

    private final Channel channel;
    private final WebSocketProtocolHandler protocol;
    /** How this connection compresses what it is sent: not at all, with the shared copy, or on its own. */
    private final Compression compression;
    private final BroadcastStats stats;
    private final int maxQueuedBytes;
    private Map<Object, ByteBuf> coalesced;
    /**
     * The topics whose messages this connection takes as deltas, each with the seq of the last
     * message of it that was written here ({@link Outgoing#NO_SEQ} when the next must be whole);
     * null until the first.
     */
    private Map<Object, Long> deltaBases;
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
        return queue != null
                && queue.totalPendingWriteBytes() + (protocol != null ? protocol.corkedBytes() : 0) + size <= maxQueuedBytes;
    }

    public Channel channel() {
        return channel;
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    /**
     * Writes {@code message} as {@link #deliver(ByteBuf, ByteBuf, SlowConsumerPolicy, Object)}
     * does its frame; a subscriber that takes deltas of {@code topic} gets the delta instead when
     * the last message of the topic written here is the delta's base, and the queue takes it now.
     * Anything else (a message dropped or coalesced by the policy, a delta not worth sending) is a
     * full message, and leaves it without a base, so the next one is whole as well.
     */
    void deliver(Outgoing message, SlowConsumerPolicy policy, Object topic) {
        Long base = deltaBases == null || message.seq == Outgoing.NO_SEQ ? null : deltaBases.get(topic);
        if (base == null) {
            deliver(message.frame, message.compressed, policy, topic);
            return;
        }
        // Only a frame written now is known to reach the client before the next one: not one the policy holds back.
        boolean delta = message.delta != null && base == message.base && channel.isWritable();
        boolean written = delta ? deliver(message.delta, message.deltaCompressed, policy, topic)
                : deliver(message.frame, message.compressed, policy, topic);
        deltaBases.put(topic, written ? message.seq : Outgoing.NO_SEQ);
        if (delta && written) {
            stats.onDelta();
        }
    }

    /** Starts, or starts again without a base, or stops taking {@code topic}'s messages as deltas. */
    void takeDeltas(Object topic, boolean on) {
        if (on) {
            if (deltaBases == null) {
                deltaBases = new HashMap<>(4);
            }
            deltaBases.put(topic, Outgoing.NO_SEQ);
        } else if (deltaBases != null) {
            deltaBases.remove(topic);
        }
    }

    /**
     * Writes {@code frame} (an encoded frame; the caller keeps its reference) unless the slow-consumer
     * policy says otherwise. A null policy is for answers the subscriber asked for: written when
     * {@link #hasRoomFor} them, else the subscriber is disconnected.
     *
     * @param compressed the same frame compressed for members that share compression, or null
     * @param coalesceKey the topic, under which {@link SlowConsumerPolicy#COALESCE} keeps the newest message
     * @return whether the frame was written now (not dropped, coalesced, or refused with the connection)
     */
    boolean deliver(ByteBuf plain, ByteBuf compressed, SlowConsumerPolicy policy, Object coalesceKey) {
        if (disconnecting || !channel.isActive()) {
            return false;
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
                    return false;
                case COALESCE:
                    coalesce(frame, coalesceKey);
                    return false;
                case DISCONNECT:
                    disconnect();
                    return false;
                default:
                    throw new IllegalStateException(policy.name());
            }
        }
        return write(frame);
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

    /** Writes {@code frame} (an encoded frame; the caller keeps its reference), to be flushed with this loop's batch. */
    private boolean write(ByteBuf frame) {
        if (compression == Compression.OWN || compression == Compression.PIPELINE) {
            writeThroughPipeline(frame);
        } else if (!protocol.writeShared(frame)) {
            return false;
        }
        stats.onDelivered();
        if (!flushQueued) {
            flushQueued = true;
            FlushBatch.current().add(this);
        }
        return true;
    }

    /**
     * A member with its own compression context: the frame goes through the pipeline as a
     * message, so that the connection's deflater compresses it in order with everything else.
     */
    private void writeThroughPipeline(ByteBuf frame) {
        int offset = Broadcaster.payloadOffset(frame);
        ByteBuf payload = frame.retainedSlice(frame.readerIndex() + offset, frame.readableBytes() - offset);
        channel.write(new WebSocketFrame(Broadcaster.opcode(frame), true, 0, payload), channel.voidPromise());
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
            frame.release();
        }
        coalesced.clear();
    }

    /** Releases what is held for this subscriber. Call when its channel closes. */
    public void close() {
        disconnecting = true;
        releaseCoalesced();
        deltaBases = null;
    }

    private void releaseCoalesced() {
        if (coalesced != null) {
            coalesced.values().forEach(ByteBuf::release);
            coalesced.clear();
        }
    }
}
