package dev.pulse.server.broadcast;

import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.codec.PerMessageDeflateHandler;
import dev.pulse.codec.WebSocketFrameEncoder;
import dev.pulse.codec.WebSocketOpcode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;

/**
 * The one place where a message is encoded for many connections, and from which it is fanned
 * out. A frame is encoded once ({@link #encodeText}); each subscriber gets its bytes on its own
 * event loop, copied into the connection's cork (or, when large or for a peer that is behind, as a
 * retained duplicate), and is flushed once per loop batch ({@code FlushBatch}). Members
 * that agreed permessage-deflate without server context takeover get one compressed copy, made
 * once per broadcast; members with context takeover compress it on their own connection.
 * A channel message may come with its delta against the message before it
 * ({@link #broadcastMessage}): encoded (and compressed) once too, it goes to the members that
 * take deltas and received that message; each subscriber decides which it gets.
 *
 * <p>Order: everything one thread sends through the broadcaster reaches each subscriber in the
 * order it was sent, because per target loop it is either written inline (the same loop) or
 * queued as a task on that loop (FIFO).
 */
public final class Broadcaster {

    private static final Logger log = LoggerFactory.getLogger(Broadcaster.class);
    private static final int RSV1 = 4;
    /** The longest header of an unmasked frame. */
    private static final int MAX_HEADER = 10;

    private final BroadcastStats stats;
    private final PerMessageDeflateConfig deflate;

    /** @param deflate the server's permessage-deflate preferences, or null when compression is off */
    public Broadcaster(BroadcastStats stats, PerMessageDeflateConfig deflate) {
        this.stats = stats;
        this.deflate = deflate;
    }

    /** The server's permessage-deflate preferences, or null when compression is off. */
    public PerMessageDeflateConfig deflate() {
        return deflate;
    }

    public BroadcastStats stats() {
        return stats;
    }

    /** A complete, unmasked text frame holding {@code utf8}, in one buffer. */
    public static ByteBuf encodeText(ByteBufAllocator alloc, byte[] utf8) {
        return encode(alloc, WebSocketOpcode.TEXT, Unpooled.wrappedBuffer(utf8));
    }

    /**
     * A complete, unmasked frame of {@code opcode} holding a copy of {@code payload}'s readable
     * bytes, in one buffer; {@code payload} is left as it was.
     */
    public static ByteBuf encode(ByteBufAllocator alloc, int opcode, ByteBuf payload) {
        int length = payload.readableBytes();
        ByteBuf frame = alloc.directBuffer(WebSocketFrameEncoder.headerLength(length, false) + length);
        WebSocketFrameEncoder.writeHeader(frame, opcode, true, 0, length, false);
        return frame.writeBytes(payload, payload.readerIndex(), length);
    }

    /**
     * Writes {@code frame} to every subscriber of {@code audience}, each under {@code policy}.
     * Takes over the caller's reference to {@code frame}.
     */
    public void broadcast(Audience audience, ByteBuf frame, SlowConsumerPolicy policy, Object coalesceKey) {
        broadcast(audience, frame, policy, coalesceKey, null);
    }

    /**
     * As {@link #broadcast(Audience, ByteBuf, SlowConsumerPolicy, Object)}, to every subscriber
     * but {@code except} (the sender of a relayed message, say); null for none.
     */
    public void broadcast(Audience audience, ByteBuf frame, SlowConsumerPolicy policy, Object coalesceKey,
                          Subscriber except) {
        // Members that share compression all get the same compressed bytes: deflated once, here.
        ByteBuf compressed = audience.sharedCompressionMembers() > 0 ? compress(frame) : null;
        fanOut(audience, new Outgoing(frame, compressed, Outgoing.NO_SEQ, Outgoing.NO_SEQ, null, null),
                policy, coalesceKey, except);
    }

    /**
     * Writes the channel message {@code frame} of {@code seq} to every subscriber of
     * {@code audience}: those that take deltas of {@code topic} ({@link #takeDeltas}) and last
     * received the message of seq {@code base} get {@code delta} instead, the same bytes for all
     * of them; every other one the full frame. Takes over the caller's references to both.
     *
     * @param delta the delta frame against the message of seq {@code base}, or null when none is
     *              worth sending (the full frame goes to all then)
     */
    public void broadcastMessage(Audience audience, ByteBuf frame, long seq, ByteBuf delta, long base,
                                 SlowConsumerPolicy policy, Object topic) {
        boolean shared = audience.sharedCompressionMembers() > 0;
        ByteBuf compressed = shared ? compress(frame) : null;
        ByteBuf deltaCompressed = shared && delta != null ? compress(delta) : null;
        fanOut(audience, new Outgoing(frame, compressed, seq, base, delta, deltaCompressed), policy, topic, null);
    }

    /**
     * Starts (or starts again) or stops giving {@code subscriber} the messages of {@code topic}
     * as deltas. Starting again forgets what it last received, so its next message is whole: call
     * it when a member joins, before anything else the topic sends it. Takes effect on the
     * subscriber's loop, in order with what this thread broadcasts.
     */
    public void takeDeltas(Subscriber subscriber, Object topic, boolean on) {
        EventLoop loop = subscriber.loop();
        if (loop.inEventLoop()) {
            subscriber.takeDeltas(topic, on);
            return;
        }
        try {
            loop.execute(() -> subscriber.takeDeltas(topic, on));
        } catch (RejectedExecutionException e) {
            log.debug("event loop gone, nobody to take deltas", e);
        }
    }

    private void fanOut(Audience audience, Outgoing message, SlowConsumerPolicy policy, Object coalesceKey,
                        Subscriber except) {
        try {
            for (Subscriber[] group : audience.groups()) {
                EventLoop loop = group[0].loop();
                if (loop.inEventLoop()) {
                    deliverAll(group, message, policy, coalesceKey, except);
                } else {
                    message.retain();
                    try {
                        loop.execute(() -> {
                            try {
                                deliverAll(group, message, policy, coalesceKey, except);
                            } finally {
                                message.release();
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        // The loop is shutting down with its channels: nobody is left to receive.
                        log.debug("event loop gone, dropping a broadcast", e);
                        message.release();
                    }
                }
            }
        } finally {
            message.release();
        }
    }

    /**
     * The compressed form of an encoded data frame (RSV1 set, payload deflated as a stream of its
     * own), or null when compression is off or the payload is under the threshold.
     */
    ByteBuf compress(ByteBuf frame) {
        int offset = payloadOffset(frame);
        int length = frame.readableBytes() - offset;
        if (deflate == null || length < deflate.threshold()) {
            return null;
        }
        // Deflated behind room for the largest header, which is then written in front: no copy.
        ByteBuf compressed = PerMessageDeflateHandler.deflate(deflate, frame.alloc(),
                frame.slice(frame.readerIndex() + offset, length), MAX_HEADER);
        stats.onCompressed();
        int size = compressed.readableBytes();
        int start = MAX_HEADER - WebSocketFrameEncoder.headerLength(size, false);
        int end = compressed.writerIndex();
        compressed.setIndex(start, start);
        WebSocketFrameEncoder.writeHeader(compressed, opcode(frame), true, RSV1, size, false);
        return compressed.writerIndex(end);
    }

    /** Where an unmasked encoded frame's payload starts. */
    static int payloadOffset(ByteBuf frame) {
        int length = frame.getByte(frame.readerIndex() + 1) & 0x7F;
        return length == 126 ? 4 : length == 127 ? 10 : 2;
    }

    static int opcode(ByteBuf frame) {
        return frame.getByte(frame.readerIndex()) & 0x0F;
    }

    /**
     * Writes {@code frame} to one subscriber; a null policy always writes. Takes over the caller's
     * reference to {@code frame}.
     */
    public void send(Subscriber subscriber, ByteBuf frame, SlowConsumerPolicy policy) {
        ByteBuf compressed = subscriber.sharesCompression() ? compress(frame) : null;
        EventLoop loop = subscriber.loop();
        if (loop.inEventLoop()) {
            try {
                subscriber.deliver(frame, compressed, policy, null);
            } finally {
                frame.release();
                if (compressed != null) {
                    compressed.release();
                }
            }
        } else {
            execute(loop, () -> {
                try {
                    subscriber.deliver(frame, compressed, policy, null);
                } finally {
                    frame.release();
                    if (compressed != null) {
                        compressed.release();
                    }
                }
            }, frame, compressed);
        }
    }

    private static void deliverAll(Subscriber[] group, Outgoing message, SlowConsumerPolicy policy, Object key,
                                   Subscriber except) {
        for (Subscriber subscriber : group) {
            if (subscriber != except) {
                subscriber.deliver(message, policy, key);
            }
        }
    }

    private static void execute(EventLoop loop, Runnable task, ByteBuf frame, ByteBuf compressed) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down with its channels: nobody is left to receive.
            log.debug("event loop gone, dropping a broadcast", e);
            frame.release();
            if (compressed != null) {
                compressed.release();
            }
        }
    }
}
