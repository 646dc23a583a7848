package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.util.CharsetUtil;

/**
 * One WebSocket frame (RFC 6455 §5.2): opcode, FIN, the three RSV bits and the unmasked payload.
 *
 * <p>The payload is reference counted: whoever holds a frame releases it, or passes it on. The
 * decoder emits frames whose payload may be a slice of the read buffer, so keep a retained copy
 * rather than the frame itself when a message must outlive the read.
 *
 * <p>A message the decoder read as one frame keeps its own frame header in front of the payload,
 * where the server's encoder writes the reply's header, so that a message written back costs no
 * copy. A frame is therefore written once: to send one message to several connections, write a
 * {@link #retainedDuplicate()} to each (or encode it once and write the bytes).
 */
public final class WebSocketFrame extends DefaultByteBufHolder {

    /** A Close payload is a control payload: at most 125 bytes, 2 of them for the code. */
    private static final int MAX_CLOSE_REASON_BYTES = 123;

    private final byte opcode;
    private final byte rsv;
    private final boolean fin;
    /** Bytes in front of the payload's reader index that an encoder may overwrite; 0 once used. */
    private byte headroom;

    /**
     * @param opcode one of {@link WebSocketOpcode}
     * @param fin whether this is the final fragment of its message
     * @param rsv the RSV1–RSV3 bits as a number 0–7 (RSV1 is 4)
     * @param payload the unmasked payload; ownership moves to the frame
     */
    public WebSocketFrame(int opcode, boolean fin, int rsv, ByteBuf payload) {
        super(payload);
        if ((opcode & ~0xF) != 0 || (rsv & ~0x7) != 0) {
            throw new IllegalArgumentException("opcode " + opcode + " or rsv " + rsv + " out of range");
        }
        this.opcode = (byte) opcode;
        this.fin = fin;
        this.rsv = (byte) rsv;
    }

    /** A frame whose payload has {@code headroom} free bytes in front of its reader index (at most 14). */
    WebSocketFrame(int opcode, boolean fin, int rsv, ByteBuf payload, int headroom) {
        this(opcode, fin, rsv, payload);
        this.headroom = (byte) headroom;
    }

    /**
     * A final frame whose payload has {@code headroom} bytes in front of its reader index that no
     * one reads: a server's encoder writes the frame header there instead of copying the payload
     * behind a new one (a frame header takes at most 10 bytes).
     */
    public static WebSocketFrame withHeadroom(int opcode, ByteBuf payload, int headroom) {
        if (headroom < 0 || headroom > payload.readerIndex() || headroom > Byte.MAX_VALUE) {
            throw new IllegalArgumentException("headroom " + headroom + " with the reader index at " + payload.readerIndex());
        }
        return new WebSocketFrame(opcode, true, 0, payload, headroom);
    }

    public static WebSocketFrame text(ByteBuf utf8) {
        return new WebSocketFrame(WebSocketOpcode.TEXT, true, 0, utf8);
    }

    /** A text frame on an unpooled buffer: for tests and rare messages, not for the hot path. */
    public static WebSocketFrame text(String text) {
        return text(Unpooled.copiedBuffer(text, CharsetUtil.UTF_8));
    }

    public static WebSocketFrame binary(ByteBuf payload) {
        return new WebSocketFrame(WebSocketOpcode.BINARY, true, 0, payload);
    }

    public static WebSocketFrame ping(ByteBuf payload) {
        return new WebSocketFrame(WebSocketOpcode.PING, true, 0, payload);
    }

    public static WebSocketFrame pong(ByteBuf payload) {
        return new WebSocketFrame(WebSocketOpcode.PONG, true, 0, payload);
    }

    /**
     * A Close frame carrying {@code status}. The reason is cut, on a character boundary, to fit
     * the 125-byte limit of control frames.
     */
    public static WebSocketFrame close(WebSocketCloseStatus status) {
        String reason = status.reason();
        ByteBuf payload = Unpooled.buffer(2 + Math.min(ByteBufUtil.utf8MaxBytes(reason), MAX_CLOSE_REASON_BYTES));
        payload.writeShort(status.code());
        int end = reason.length();
        while (ByteBufUtil.utf8Bytes(reason, 0, end) > MAX_CLOSE_REASON_BYTES) {
            end--;
            if (end > 0 && Character.isHighSurrogate(reason.charAt(end - 1))) {
                end--;
            }
        }
        ByteBufUtil.writeUtf8(payload, reason, 0, end);
        return new WebSocketFrame(WebSocketOpcode.CLOSE, true, 0, payload);
    }

    public int opcode() {
        return opcode;
    }

    public boolean isFinal() {
        return fin;
    }

    public int rsv() {
        return rsv;
    }

    public boolean isText() {
        return opcode == WebSocketOpcode.TEXT;
    }

    public boolean isBinary() {
        return opcode == WebSocketOpcode.BINARY;
    }

    public boolean isControl() {
        return WebSocketOpcode.isControl(opcode);
    }

    /**
     * The free bytes in front of the payload, which are the caller's from now on: the next call
     * returns 0.
     */
    int takeHeadroom() {
        int free = headroom;
        headroom = 0;
        return free;
    }

    /**
     * The status of a Close frame: {@link WebSocketCloseStatus#NO_STATUS_RECEIVED} when it has no
     * payload. The decoder has already rejected payloads with an invalid code or reason.
     */
    public WebSocketCloseStatus closeStatus() {
        if (opcode != WebSocketOpcode.CLOSE) {
            throw new IllegalStateException("not a close frame: " + WebSocketOpcode.name(opcode));
        }
        ByteBuf payload = content();
        if (payload.readableBytes() < 2) {
            return WebSocketCloseStatus.NO_STATUS_RECEIVED;
        }
        int index = payload.readerIndex();
        String reason = payload.toString(index + 2, payload.readableBytes() - 2, CharsetUtil.UTF_8);
        return WebSocketCloseStatus.of(payload.getUnsignedShort(index), reason);
    }

    /** The payload as a string; for text frames. */
    public String text() {
        return content().toString(CharsetUtil.UTF_8);
    }

    @Override
    public WebSocketFrame replace(ByteBuf content) {
        return new WebSocketFrame(opcode, fin, rsv, content);
    }

    @Override
    public WebSocketFrame copy() {
        return (WebSocketFrame) super.copy();
    }

    @Override
    public WebSocketFrame duplicate() {
        return (WebSocketFrame) super.duplicate();
    }

    @Override
    public WebSocketFrame retainedDuplicate() {
        return (WebSocketFrame) super.retainedDuplicate();
    }

    @Override
    public WebSocketFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public WebSocketFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public WebSocketFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public WebSocketFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "WebSocketFrame(" + WebSocketOpcode.name(opcode) + (fin ? ", fin" : "")
                + (rsv != 0 ? ", rsv=" + rsv : "") + ", " + content().readableBytes() + "B)";
    }
}
