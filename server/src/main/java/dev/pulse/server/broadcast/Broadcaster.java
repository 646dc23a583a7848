package dev.pulse.server.broadcast;

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
 * out. A frame is encoded once ({@link #encodeText}); each subscriber gets a retained duplicate
 * of the same bytes, written on its own event loop, and is flushed once per loop batch.
 *
 * <p>Order: everything one thread sends through the broadcaster reaches each subscriber in the
 * order it was sent, because per target loop it is either written inline (the same loop) or
 * queued as a task on that loop (FIFO).
 */
public final class Broadcaster {

    private static final Logger log = LoggerFactory.getLogger(Broadcaster.class);

    private final BroadcastStats stats;

    public Broadcaster(BroadcastStats stats) {
        this.stats = stats;
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
        try {
            for (Subscriber[] group : audience.groups()) {
                EventLoop loop = group[0].loop();
                if (loop.inEventLoop()) {
                    deliverAll(group, frame, policy, coalesceKey, except);
                } else {
                    frame.retain();
                    execute(loop, () -> {
                        try {
                            deliverAll(group, frame, policy, coalesceKey, except);
                        } finally {
                            frame.release();
                        }
                    }, frame);
                }
            }
        } finally {
            frame.release();
        }
    }

    /**
     * Writes {@code frame} to one subscriber; a null policy always writes. Takes over the caller's
     * reference to {@code frame}.
     */
    public void send(Subscriber subscriber, ByteBuf frame, SlowConsumerPolicy policy) {
        EventLoop loop = subscriber.loop();
        if (loop.inEventLoop()) {
            try {
                subscriber.deliver(frame, policy, null);
            } finally {
                frame.release();
            }
        } else {
            execute(loop, () -> {
                try {
                    subscriber.deliver(frame, policy, null);
                } finally {
                    frame.release();
                }
            }, frame);
        }
    }

    private static void deliverAll(Subscriber[] group, ByteBuf frame, SlowConsumerPolicy policy, Object key,
                                   Subscriber except) {
        for (Subscriber subscriber : group) {
            if (subscriber != except) {
                subscriber.deliver(frame, policy, key);
            }
        }
    }

    private static void execute(EventLoop loop, Runnable task, ByteBuf frame) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down with its channels: nobody is left to receive.
            log.debug("event loop gone, dropping a broadcast", e);
            frame.release();
        }
    }
}
