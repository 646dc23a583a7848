package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Encodes {@link WebSocketFrame}s into bytes (RFC 6455 §5.2): the one place frame headers are
 * written, for {@link WebSocketFrameCodec} and for whoever encodes a frame once to send it to
 * many connections.
 *
 * <p>Frames from a server go out unmasked, in the cheapest of three ways: a message the decoder
 * read as one frame gets its header written over the received frame's own header, in front of
 * the payload, and is sent where it lies (an echo costs no copy and no buffer); otherwise a
 * payload of up to {@value #COPY_THRESHOLD} bytes is copied behind its header into one buffer, so
 * a small message costs one write; a larger payload is written as is, after a separate header
 * buffer. A client's frames are masked with a fresh key from {@link ThreadLocalRandom}, which
 * serves load generation and tests but is not the strong entropy RFC 6455 §10.3 asks of browsers.
 */
public final class WebSocketFrameEncoder {

    /** Largest payload copied behind its header; larger ones are written without a copy. */
    public static final int COPY_THRESHOLD = 1024;

    private WebSocketFrameEncoder() {
    }

    /**
     * The unmasked frame in one buffer: written in front of the payload where the frame has room
     * for its header there, else copied behind a new header. Consumes the frame's reference.
     */
    public static ByteBuf encode(ByteBufAllocator alloc, WebSocketFrame frame) {
        return encode(alloc, frame, frame.takeHeadroom());
    }

    static ByteBuf encode(ByteBufAllocator alloc, WebSocketFrame frame, int headroom) {
        ByteBuf payload = frame.content();
        int length = payload.readableBytes();
        int headerLength = headerLength(length, false);
        if (headroom >= headerLength) {
            int start = payload.readerIndex() - headerLength;
            setHeader(payload, start, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
            return payload.readerIndex(start);
        }
        try {
            ByteBuf buf = alloc.buffer(headerLength + length);
            writeHeader(buf, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
            return buf.writeBytes(payload, payload.readerIndex(), length);
        } finally {
            frame.release();
        }
    }

    /** The unmasked header of {@code frame} alone, to send before its payload; releases the frame if it fails. */
    static ByteBuf header(ByteBufAllocator alloc, WebSocketFrame frame) {
        int length = frame.content().readableBytes();
        ByteBuf header;
        try {
            header = alloc.buffer(headerLength(length, false));
        } catch (RuntimeException | Error e) {
            frame.release();
            throw e;
        }
        writeHeader(header, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
        return header;
    }

    /** The frame masked, in one buffer, as a client sends it. Consumes the frame's reference. */
    static ByteBuf encodeMasked(ByteBufAllocator alloc, WebSocketFrame frame) {
        try {
            ByteBuf payload = frame.content();
            int length = payload.readableBytes();
            ByteBuf buf = alloc.buffer(headerLength(length, true) + length);
            int mask = ThreadLocalRandom.current().nextInt();
            writeHeader(buf, frame.opcode(), frame.isFinal(), frame.rsv(), length, true);
            buf.writeInt(mask);
            int payloadIndex = buf.writerIndex();
            buf.writeBytes(payload, payload.readerIndex(), length);
            WebSocketMasking.mask(buf, payloadIndex, length, mask, 0);
            return buf;
        } finally {
            frame.release();
        }
    }

    /** Bytes of a frame header for a payload of {@code length}, masking key included. */
    public static int headerLength(int length, boolean masked) {
        int size = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        return masked ? size + 4 : size;
    }

    /** Writes a frame header, without the masking key, for a payload of {@code length} bytes. */
    public static void writeHeader(ByteBuf buf, int opcode, boolean fin, int rsv, int length, boolean masked) {
        int size = headerLength(length, false);
        buf.ensureWritable(size);
        setHeader(buf, buf.writerIndex(), opcode, fin, rsv, length, masked);
        buf.writerIndex(buf.writerIndex() + size);
    }

    /**
     * Sets a frame header, without the masking key, at {@code index}, leaving the buffer's indexes
     * as they are; it takes {@link #headerLength headerLength(length, false)} bytes.
     */
    public static void setHeader(ByteBuf buf, int index, int opcode, boolean fin, int rsv, int length, boolean masked) {
        buf.setByte(index, (fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (length <= 125) {
            buf.setByte(index + 1, maskBit | length);
        } else if (length <= 0xFFFF) {
            buf.setByte(index + 1, maskBit | 126);
            buf.setShort(index + 2, length);
        } else {
            buf.setByte(index + 1, maskBit | 127);
            buf.setLong(index + 2, length);
        }
    }
}
