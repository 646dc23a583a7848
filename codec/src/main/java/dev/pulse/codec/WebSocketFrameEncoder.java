package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Encodes {@link WebSocketFrame}s into bytes (RFC 6455 §5.2). Other messages, such as frames
 * that a broadcaster encoded once for many channels, pass through untouched.
 *
 * <p>In server mode frames go out unmasked: a payload of up to {@value #COPY_THRESHOLD} bytes is
 * copied behind its header into one buffer, so a small message costs one write; a larger payload
 * is written as is, after a separate header buffer, without copying it. In client mode every frame
 * is masked with a fresh key from {@link ThreadLocalRandom}, which serves load generation and
 * tests but is not the strong entropy RFC 6455 §10.3 asks of browsers.
 */
public final class WebSocketFrameEncoder extends MessageToMessageEncoder<WebSocketFrame> {

    /** Largest payload copied behind its header; larger ones are written without a copy. */
    public static final int COPY_THRESHOLD = 1024;

    private final boolean maskPayload;

    /**
     * @param maskPayload true in client mode
     */
    public WebSocketFrameEncoder(boolean maskPayload) {
        super(WebSocketFrame.class);
        this.maskPayload = maskPayload;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        ByteBuf payload = frame.content();
        int length = payload.readableBytes();
        int headerLength = headerLength(length, maskPayload);
        if (maskPayload) {
            ByteBuf buf = ctx.alloc().buffer(headerLength + length);
            int mask = ThreadLocalRandom.current().nextInt();
            writeHeader(buf, frame.opcode(), frame.isFinal(), frame.rsv(), length, true);
            buf.writeInt(mask);
            int payloadIndex = buf.writerIndex();
            buf.writeBytes(payload, payload.readerIndex(), length);
            WebSocketMasking.mask(buf, payloadIndex, length, mask, 0);
            out.add(buf);
        } else if (length <= COPY_THRESHOLD) {
            ByteBuf buf = ctx.alloc().buffer(headerLength + length);
            writeHeader(buf, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
            buf.writeBytes(payload, payload.readerIndex(), length);
            out.add(buf);
        } else {
            ByteBuf header = ctx.alloc().buffer(headerLength);
            writeHeader(header, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
            out.add(header);
            out.add(payload.retain());
        }
    }

    /** Bytes of a frame header for a payload of {@code length}, masking key included. */
    public static int headerLength(int length, boolean masked) {
        int size = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        return masked ? size + 4 : size;
    }

    /** Writes a frame header, without the masking key, for a payload of {@code length} bytes. */
    public static void writeHeader(ByteBuf buf, int opcode, boolean fin, int rsv, int length, boolean masked) {
        buf.writeByte((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (length <= 125) {
            buf.writeByte(maskBit | length);
        } else if (length <= 0xFFFF) {
            buf.writeByte(maskBit | 126);
            buf.writeShort(length);
        } else {
            buf.writeByte(maskBit | 127);
            buf.writeLong(length);
        }
    }
}
