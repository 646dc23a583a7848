package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.net.SocketAddress;
import java.util.List;

/**
 * The frame layer of a WebSocket connection, both ways, in one handler: encodes the
 * {@link WebSocketFrame}s written (with {@link WebSocketFrameEncoder}; other messages pass
 * untouched, and frames a broadcaster encoded once for many connections are copied together until
 * the next flush, {@link #writeCopy}), and decodes bytes into
 * WebSocket messages, enforcing every framing rule of RFC 6455 that a
 * single frame or a sequence of fragments can break.
 *
 * <p>Emits {@link WebSocketFrame}s: each control frame as it completes, wherever it arrives
 * (between the fragments of a message too), and each data message once its final frame is in,
 * as one final frame with its first fragment's opcode and RSV bits (RFC 6455 §5.4): the next
 * handler never sees a continuation. Payloads are unmasked in place and handed on as retained
 * slices of the read buffer (the fragments of a message as one composite), so the decoder must
 * own the buffers it reads (read-only buffers are copied first). A message that arrived as one
 * frame keeps that frame's header bytes in front of its payload, for the encoder to reuse.
 *
 * <p>A violation raises a {@link WebSocketProtocolException} carrying the close status (1002, 1007
 * or 1009) through {@code exceptionCaught}; {@link WebSocketProtocolHandler}, later in the
 * pipeline, answers it with a Close frame. From then on the decoder discards all input. Limits,
 * of a frame and of a whole message, are checked against each frame header, before any of its
 * payload is buffered. Text is validated as UTF-8 as it arrives, so an invalid byte fails the
 * connection before the rest of the message is sent.
 */
public final class WebSocketFrameCodec extends ByteToMessageDecoder implements ChannelOutboundHandler {

    enum State {
        READING_FIRST,
        READING_SECOND,
        READING_SIZE,
        MASKING_KEY,
        PAYLOAD,
        CORRUPT
    }

    private static final int NO_MESSAGE = -1;
    /** Fragments kept as components before the composite consolidates them into one buffer. */
    private static final int MAX_COMPONENTS = 1024;
    private static final int RSV1 = 4;
    /** The most bytes the cork holds: past it, it is handed on (unflushed) and a new one started. */
    public static final int CORK_LIMIT = 16 * 1024;
    /** Frames larger than this are not copied into the cork but written as duplicates of their own. */
    static final int CORK_MAX_FRAME = 4 * 1024;

    /** Server mode: frames read must be masked, and frames written are not (a client's are). */
    private final boolean expectMaskedFrames;
    private final int maxFramePayloadLength;
    private final int maxMessagePayloadLength;
    private final int allowedRsvBits;
    private final Utf8Validator utf8 = new Utf8Validator();

    private State state = State.READING_FIRST;
    /** Every byte handed to this decoder so far, read by liveness checks. */
    private long receivedBytes;

    // The frame being read.
    /** Where its header starts in the buffer being decoded, or -1 when that header was read from another one. */
    private int frameStart = -1;
    private boolean fin;
    private int rsv;
    private int opcode;
    private boolean masked;
    private int lengthField;
    private int payloadLength;
    private int mask;
    private boolean textPayload;
    /** Payload bytes already unmasked and, for text, validated: text is checked as it arrives. */
    private int checked;

    // The message the frame belongs to.
    private int messageOpcode = NO_MESSAGE;
    private long messageLength;
    /** The message's first frame had RSV1 (permessage-deflate): its text is checked once inflated, not here. */
    private boolean messageCompressed;
    private int messageRsv;
    /** The payloads of a fragmented message's frames so far. */
    private CompositeByteBuf fragments;

    // Outbound.
    /**
     * Frames encoded beforehand for many connections ({@link #writeCopy}), copied one after the
     * other since the last flush, so that the flush hands the socket one buffer, whatever the
     * number of frames: null when none. At most {@link #CORK_LIMIT} bytes; any other write or a
     * flush hands it on first, so order is kept.
     */
    private ByteBuf cork;

    public WebSocketFrameCodec(WebSocketDecoderConfig config) {
        this.expectMaskedFrames = config.expectMaskedFrames();
        this.maxFramePayloadLength = config.maxFramePayloadLength();
        this.maxMessagePayloadLength = config.maxMessagePayloadLength();
        this.allowedRsvBits = config.allowedRsvBits();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf) {
            ByteBuf bytes = (ByteBuf) msg;
            receivedBytes += bytes.readableBytes();
            if (bytes.isReadOnly()) {
                // Payloads are unmasked in place.
                try {
                    msg = ctx.alloc().buffer(bytes.readableBytes()).writeBytes(bytes);
                } finally {
                    bytes.release();
                }
            }
        }
        super.channelRead(ctx, msg);
    }

    /**
     * How many bytes this decoder has been handed, complete frames or not: what a liveness check
     * compares from one look to the next. Read it on the connection's event loop.
     */
    public long receivedBytes() {
        return receivedBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            decodeFrame(ctx, in, out);
        } catch (WebSocketProtocolException e) {
            state = State.CORRUPT;
            discardFragments();
            in.skipBytes(in.readableBytes());
            throw e;
        }
        if (state != State.READING_FIRST) {
            // The rest of this frame comes in another read, maybe into another buffer.
            frameStart = -1;
        }
    }

    private void decodeFrame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case READING_FIRST:
                if (!in.isReadable()) {
                    return;
                }
                frameStart = in.readerIndex();
                int first = in.readByte();
                fin = (first & 0x80) != 0;
                rsv = (first >> 4) & 0x7;
                opcode = first & 0xF;
                state = State.READING_SECOND;
                // fall through
            case READING_SECOND:
                if (!in.isReadable()) {
                    return;
                }
                int second = in.readByte();
                masked = (second & 0x80) != 0;
                lengthField = second & 0x7F;
                checkHeader();
                state = State.READING_SIZE;
                // fall through
            case READING_SIZE:
                if (!readPayloadLength(in)) {
                    return;
                }
                state = State.MASKING_KEY;
                // fall through
            case MASKING_KEY:
                if (masked) {
                    if (in.readableBytes() < 4) {
                        return;
                    }
                    mask = in.readInt();
                }
                checked = 0;
                state = State.PAYLOAD;
                // fall through
            case PAYLOAD:
                readPayload(ctx, in, out);
                return;
            case CORRUPT:
                in.skipBytes(in.readableBytes());
                return;
            default:
                throw new IllegalStateException(state.name());
        }
    }

    /** The rules that the first two bytes alone can break. */
    private void checkHeader() {
        if (!WebSocketOpcode.isDefined(opcode)) {
            throw protocolError("reserved opcode " + opcode);
        }
        if ((rsv & ~allowedRsvBits) != 0) {
            throw protocolError("RSV bits " + rsv + " set without a negotiated extension");
        }
        if ((rsv & RSV1) != 0 && (WebSocketOpcode.isControl(opcode) || opcode == WebSocketOpcode.CONTINUATION)) {
            // RFC 7692 §6.1: only the first frame of a data message marks it compressed.
            throw protocolError("RSV1 on a control or continuation frame");
        }
        if (masked != expectMaskedFrames) {
            throw protocolError(expectMaskedFrames ? "client frames must be masked" : "server frames must not be masked");
        }
        if (WebSocketOpcode.isControl(opcode)) {
            if (!fin) {
                throw protocolError("fragmented control frame");
            }
            if (lengthField > 125) {
                throw protocolError("control frame payload over 125 bytes");
            }
            if (opcode == WebSocketOpcode.CLOSE && lengthField == 1) {
                throw protocolError("close frame with a 1-byte payload");
            }
            textPayload = false;
        } else if (opcode == WebSocketOpcode.CONTINUATION) {
            if (messageOpcode == NO_MESSAGE) {
                throw protocolError("continuation frame without a message to continue");
            }
            textPayload = messageOpcode == WebSocketOpcode.TEXT && !messageCompressed;
        } else {
            if (messageOpcode != NO_MESSAGE) {
                throw protocolError("new data frame inside a fragmented message");
            }
            messageCompressed = (rsv & RSV1) != 0;
            textPayload = opcode == WebSocketOpcode.TEXT && !messageCompressed;
        }
    }

    private boolean readPayloadLength(ByteBuf in) {
        long length;
        if (lengthField == 126) {
            if (in.readableBytes() < 2) {
                return false;
            }
            length = in.readUnsignedShort();
            if (length < 126) {
                throw protocolError("payload length not in its shortest form");
            }
        } else if (lengthField == 127) {
            if (in.readableBytes() < 8) {
                return false;
            }
            length = in.readLong();
            if (length < 0) {
                throw protocolError("64-bit payload length with the most significant bit set");
            }
            if (length <= 0xFFFF) {
                throw protocolError("payload length not in its shortest form");
            }
        } else {
            length = lengthField;
        }
        if (length > maxFramePayloadLength) {
            throw new WebSocketProtocolException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "frame of " + length + " bytes exceeds the limit of " + maxFramePayloadLength);
        }
        if (!WebSocketOpcode.isControl(opcode) && messageLength + length > maxMessagePayloadLength) {
            throw new WebSocketProtocolException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "message of " + (messageLength + length) + "+ bytes exceeds the limit of " + maxMessagePayloadLength);
        }
        payloadLength = (int) length;
        return true;
    }

    private void readPayload(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        int available = Math.min(in.readableBytes(), payloadLength);
        if (available < payloadLength) {
            if (textPayload && available > checked) {
                check(in, start + checked, available - checked);
                checked = available;
            }
            return;
        }
        check(in, start + checked, payloadLength - checked);
        if (opcode == WebSocketOpcode.CLOSE) {
            checkClosePayload(in, start, payloadLength);
        } else if (textPayload && fin && !utf8.isComplete()) {
            throw new WebSocketProtocolException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text message ends inside a UTF-8 sequence");
        }
        state = State.READING_FIRST;
        if (WebSocketOpcode.isControl(opcode)) {
            ByteBuf payload = payloadLength == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(payloadLength);
            out.add(new WebSocketFrame(opcode, true, rsv, payload));
        } else if (opcode != WebSocketOpcode.CONTINUATION && fin) {
            utf8.reset();
            out.add(wholeMessage(in, start));
        } else {
            addFragment(ctx, in.readRetainedSlice(payloadLength), out);
        }
    }

    /** A message in one frame: its payload, with the frame's header in front of it when that is in this buffer. */
    private WebSocketFrame wholeMessage(ByteBuf in, int start) {
        if (frameStart < 0) {
            ByteBuf payload = payloadLength == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(payloadLength);
            return new WebSocketFrame(opcode, true, rsv, payload);
        }
        int headroom = start - frameStart;
        ByteBuf frame = in.retainedSlice(frameStart, headroom + payloadLength).readerIndex(headroom);
        in.skipBytes(payloadLength);
        return new WebSocketFrame(opcode, true, rsv, frame, headroom);
    }

    private void addFragment(ChannelHandlerContext ctx, ByteBuf payload, List<Object> out) {
        if (opcode != WebSocketOpcode.CONTINUATION) {
            messageOpcode = opcode;
            messageRsv = rsv;
            fragments = ctx.alloc().compositeBuffer(MAX_COMPONENTS);
        }
        fragments.addComponent(true, payload);
        if (!fin) {
            messageLength += payloadLength;
            return;
        }
        WebSocketFrame message = new WebSocketFrame(messageOpcode, true, messageRsv, fragments);
        fragments = null;
        messageOpcode = NO_MESSAGE;
        messageLength = 0;
        utf8.reset();
        out.add(message);
    }

    /** Unmasks, and for text validates, payload bytes as they arrive. */
    private void check(ByteBuf in, int index, int length) {
        if (masked) {
            WebSocketMasking.mask(in, index, length, mask, checked);
        }
        if (textPayload && !utf8.validate(in, index, length)) {
            throw new WebSocketProtocolException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text is not valid UTF-8");
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        discardFragments();
        if (cork != null) {
            cork.release();
            cork = null;
        }
    }

    private void discardFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    /** RFC 6455 §5.5.1: an optional 2-byte code, then an optional UTF-8 reason. */
    private static void checkClosePayload(ByteBuf in, int index, int length) {
        if (length == 0) {
            return;
        }
        int code = in.getUnsignedShort(index);
        if (!WebSocketCloseStatus.isValidOnWire(code)) {
            throw protocolError("close code " + code + " is not allowed");
        }
        if (!Utf8Validator.isWellFormed(in, index + 2, length - 2)) {
            throw new WebSocketProtocolException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "close reason is not valid UTF-8");
        }
    }

    private static WebSocketProtocolException protocolError(String message) {
        return new WebSocketProtocolException(WebSocketCloseStatus.PROTOCOL_ERROR, message);
    }

    // Outbound: frames become bytes here, and nothing else happens.

    /**
     * Writes the readable bytes of {@code frame}, a frame encoded beforehand and shared with other
     * connections (a broadcast), without sending them through the pipeline; the caller keeps its
     * reference. A small frame is copied into this connection's cork, beside the frames written
     * before it since the last flush: with several messages per flush each subscriber then costs
     * one buffer and one {@code send}, not a duplicate, a queue entry and an I/O vector per
     * message. A larger one, or any one while more than a cork's worth waits in the channel's
     * queue (a slow peer, whose backlog then shares the broadcast's bytes instead of copying
     * them), goes as a duplicate of its own. Nothing is flushed but a full cork.
     *
     * @param ctx this handler's context
     */
    public void writeCopy(ChannelHandlerContext ctx, ByteBuf frame) {
        int size = frame.readableBytes();
        if (size > CORK_MAX_FRAME || lagging(ctx)) {
            // Large, or for a peer already behind: the one shared copy serves this connection as well.
            handOnCork(ctx);
            ctx.write(frame.retainedDuplicate(), ctx.voidPromise());
            return;
        }
        cork(ctx, size).writeBytes(frame, frame.readerIndex(), size);
    }

    /**
     * As {@link #writeCopy(ChannelHandlerContext, ByteBuf)} for a frame not encoded yet, whose
     * header is written straight into the cork (server side: unmasked); the caller keeps its
     * reference. A larger one, or any one for a peer that is behind, is written as {@link #write} would.
     */
    public void writeCopy(ChannelHandlerContext ctx, WebSocketFrame frame) {
        ByteBuf payload = frame.content();
        int length = payload.readableBytes();
        int size = WebSocketFrameEncoder.headerLength(length, false) + length;
        if (!expectMaskedFrames || size > CORK_MAX_FRAME || lagging(ctx)) {
            write(ctx, frame.retain(), ctx.voidPromise());
            return;
        }
        ByteBuf cork = cork(ctx, size);
        WebSocketFrameEncoder.writeHeader(cork, frame.opcode(), frame.isFinal(), frame.rsv(), length, false);
        cork.writeBytes(payload, payload.readerIndex(), length);
    }

    /** The cork, with room for {@code size} more bytes: a full one is sent first, a missing one made. */
    private ByteBuf cork(ChannelHandlerContext ctx, int size) {
        if (cork != null && cork.readableBytes() + size > CORK_LIMIT) {
            // A full cork is a batch's worth: sent now, so unflushed bytes stay under a cork and a frame.
            handOnCork(ctx);
            ctx.flush();
        }
        if (cork == null) {
            // Sized for this frame: a connection sent one message per flush wastes nothing.
            cork = ctx.alloc().directBuffer(size, CORK_LIMIT);
        }
        return cork;
    }

    /** Whether more than a cork's worth waits in the channel's queue: its peer is not keeping up. */
    private static boolean lagging(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer queue = ctx.channel().unsafe().outboundBuffer();
        return queue != null && queue.totalPendingWriteBytes() > CORK_LIMIT;
    }

    /** Bytes written by {@link #writeCopy} that are not in the channel's outbound queue yet. */
    public int corkedBytes() {
        return cork == null ? 0 : cork.readableBytes();
    }

    /** Hands what the cork holds to the next handler, unflushed. */
    private void handOnCork(ChannelHandlerContext ctx) {
        if (cork != null) {
            ByteBuf corked = cork;
            cork = null;
            ctx.write(corked, ctx.voidPromise());
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        handOnCork(ctx);
        if (!(msg instanceof WebSocketFrame)) {
            ctx.write(msg, promise);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        if (!expectMaskedFrames) {
            ctx.write(WebSocketFrameEncoder.encodeMasked(ctx.alloc(), frame), promise);
            return;
        }
        int headroom = frame.takeHeadroom();
        int length = frame.content().readableBytes();
        if (length > WebSocketFrameEncoder.COPY_THRESHOLD && headroom < WebSocketFrameEncoder.headerLength(length, false)) {
            // Only the header is new: the payload follows it as it is.
            ctx.write(WebSocketFrameEncoder.header(ctx.alloc(), frame));
            ctx.write(frame.content(), promise);
            return;
        }
        ctx.write(WebSocketFrameEncoder.encode(ctx.alloc(), frame, headroom), promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        handOnCork(ctx);
        ctx.flush();
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress,
                        ChannelPromise promise) {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.disconnect(promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        // Unflushed, it is released with the rest of the channel's queue.
        handOnCork(ctx);
        ctx.close(promise);
    }

    @Override
    public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
        ctx.deregister(promise);
    }

    /** For tests: where the state machine stands. */
    State state() {
        return state;
    }
}
