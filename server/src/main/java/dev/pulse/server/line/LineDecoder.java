package dev.pulse.server.line;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Cuts the byte stream into lines: each ends with {@code \n} (a {@code \r} before it is dropped)
 * and is passed on as a {@link String}, or as a {@link Refused} when it is longer than
 * {@code maxLength} bytes (read past, never held) or is not UTF-8. Holds at most
 * {@code maxLength} bytes of an unfinished line.
 */
public final class LineDecoder extends ByteToMessageDecoder {

    /** A line that was not passed on, and why. */
    public record Refused(Reason reason) { }

    public enum Reason { TOO_LONG, NOT_UTF8 }

    private final int maxLength;
    /** Reading past the rest of a line already refused as too long. */
    private boolean discarding;

    public LineDecoder(int maxLength) {
        this.maxLength = maxLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int end = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (discarding) {
                if (end < 0) {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                in.readerIndex(end + 1);
                discarding = false;
                continue;
            }
            if (end < 0) {
                if (in.readableBytes() > maxLength) {
                    in.skipBytes(in.readableBytes());
                    discarding = true;
                    out.add(new Refused(Reason.TOO_LONG));
                }
                return;
            }
            int length = end - in.readerIndex();
            if (length + 1 > maxLength) {
                in.readerIndex(end + 1);
                out.add(new Refused(Reason.TOO_LONG));
                continue;
            }
            int contentLength = length > 0 && in.getByte(end - 1) == '\r' ? length - 1 : length;
            ByteBuffer bytes = in.nioBufferCount() == 1 ? in.nioBuffer(in.readerIndex(), contentLength)
                    : ByteBuffer.wrap(readBytes(in, contentLength));
            in.readerIndex(end + 1);
            try {
                out.add(StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(bytes).toString());
            } catch (CharacterCodingException e) {
                out.add(new Refused(Reason.NOT_UTF8));
            }
        }
    }

    /** Bytes of an unfinished line held now: at most the bound. */
    int held() {
        return actualReadableBytes();
    }

    private static byte[] readBytes(ByteBuf in, int length) {
        byte[] bytes = new byte[length];
        in.getBytes(in.readerIndex(), bytes);
        return bytes;
    }
}
