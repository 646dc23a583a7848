package dev.pulse.server.broadcast;

import io.netty.buffer.ByteBuf;

/**
 * A message on its way to an audience: its frame and the frame's shared compressed copy and,
 * for a channel message that members may take as a delta, its seq and the delta frame against
 * the message of seq {@code base} with its compressed copy. Counted as one: {@link #retain} and
 * {@link #release} act on every buffer it holds.
 */
final class Outgoing {

    /** The seq of a frame that is not a channel message, and the base of a subscriber that has none. */
    static final long NO_SEQ = -1;

    final ByteBuf frame;
    final ByteBuf compressed;
    final long seq;
    final long base;
    final ByteBuf delta;
    final ByteBuf deltaCompressed;

    Outgoing(ByteBuf frame, ByteBuf compressed, long seq, long base, ByteBuf delta, ByteBuf deltaCompressed) {
        this.frame = frame;
        this.compressed = compressed;
        this.seq = seq;
        this.base = base;
        this.delta = delta;
        this.deltaCompressed = deltaCompressed;
    }

    Outgoing retain() {
        frame.retain();
        retain(compressed);
        retain(delta);
        retain(deltaCompressed);
        return this;
    }

    void release() {
        frame.release();
        release(compressed);
        release(delta);
        release(deltaCompressed);
    }

    private static void retain(ByteBuf buf) {
        if (buf != null) {
            buf.retain();
        }
    }

    private static void release(ByteBuf buf) {
        if (buf != null) {
            buf.release();
        }
    }
}
