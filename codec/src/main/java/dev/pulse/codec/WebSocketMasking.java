package dev.pulse.codec;

import io.netty.buffer.ByteBuf;

/**
 * Applies a masking key (RFC 6455 §5.3) in place, eight bytes per step. Masking and unmasking are
 * the same XOR.
 */
final class WebSocketMasking {

    private WebSocketMasking() {
    }

    /**
     * XORs {@code length} bytes of {@code buf} from {@code index} with {@code mask}.
     *
     * @param mask the masking key as read from the frame, big-endian
     * @param payloadOffset where {@code index} lies within the frame's payload, so that a payload
     *        can be unmasked piece by piece as it arrives
     */
    static void mask(ByteBuf buf, int index, int length, int mask, int payloadOffset) {
        int key = Integer.rotateLeft(mask, (payloadOffset & 3) << 3);
        long longKey = ((long) key << 32) | (key & 0xFFFFFFFFL);
        int i = index;
        int end = index + length;
        for (int longEnd = end - 7; i < longEnd; i += 8) {
            buf.setLong(i, buf.getLong(i) ^ longKey);
        }
        if (end - i >= 4) {
            buf.setInt(i, buf.getInt(i) ^ key);
            i += 4;
        }
        for (int shift = 24; i < end; i++, shift -= 8) {
            buf.setByte(i, buf.getByte(i) ^ (key >>> shift));
        }
    }
}
