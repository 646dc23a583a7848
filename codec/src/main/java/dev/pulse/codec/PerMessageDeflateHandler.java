package dev.pulse.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * permessage-deflate (RFC 7692) on one connection, once agreed: inflates every message that
 * arrives with RSV1 set and deflates every text or binary message written of at least the
 * threshold, setting RSV1. Frames encoded beforehand (broadcasts) pass untouched: the broadcaster
 * compresses those itself with {@link #deflate}.
 *
 * <ul>
 *   <li>Inflated size counts against the message limit as bytes come out of the inflater: a small
 *       frame that would inflate past it fails the connection with 1009 before the memory is
 *       spent. Data that does not inflate fails it with 1007, and so does inflated text that is
 *       not UTF-8 (the decoder cannot check compressed text as it arrives).</li>
 *   <li>Without context takeover a side's messages are deflate streams of their own: the event
 *       loop's shared deflater and inflater serve them and are reset after each. With it, this
 *       connection keeps its own, released when it closes.</li>
 * </ul>
 * Place it between {@link WebSocketFrameCodec} and {@link WebSocketProtocolHandler}: it sees
 * whole messages coming in and unfragmented frames going out.
 */
public final class PerMessageDeflateHandler extends ChannelDuplexHandler {

    /** RFC 7692 §7.2.2: the empty stored block a sender strips and a receiver appends. */
    private static final byte[] TAIL = {0x00, 0x00, (byte) 0xFF, (byte) 0xFF};
    static final int RSV1 = 4;

    private final PerMessageDeflateConfig config;
    private final PerMessageDeflateAgreement agreement;
    private final int maxMessageLength;
    private Deflater ownDeflater;
    private Inflater ownInflater;

    public PerMessageDeflateHandler(PerMessageDeflateConfig config, PerMessageDeflateAgreement agreement,
                                    int maxMessageLength) {
        this.config = config;
        this.agreement = agreement;
        this.maxMessageLength = maxMessageLength;
    }

    /** What this connection agreed. */
    public PerMessageDeflateAgreement agreement() {
        return agreement;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame) || (((WebSocketFrame) msg).rsv() & RSV1) == 0) {
            ctx.fireChannelRead(msg);
            return;
        }
        WebSocketFrame frame = (WebSocketFrame) msg;
        ByteBuf inflated;
        try {
            inflated = inflate(ctx.alloc(), frame.content());
        } finally {
            frame.release();
        }
        if (frame.opcode() == WebSocketOpcode.TEXT && !Utf8Validator.isWellFormed(inflated, inflated.readerIndex(),
                inflated.readableBytes())) {
            inflated.release();
            throw new WebSocketProtocolException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "text is not valid UTF-8");
        }
        ctx.fireChannelRead(new WebSocketFrame(frame.opcode(), true, frame.rsv() & ~RSV1, inflated));
    }

    private ByteBuf inflate(ByteBufAllocator alloc, ByteBuf compressed) {
        boolean shared = agreement.clientNoContextTakeover();
        Inflater inflater = shared ? config.sharedInflater() : ownInflater();
        ByteBuf out = alloc.heapBuffer((int) Math.min(maxMessageLength + 1L, Math.max(256, compressed.readableBytes() * 4L)));
        try {
            for (ByteBuffer input : compressed.nioBuffers()) {
                inflater.setInput(input);
                drain(inflater, out);
            }
            inflater.setInput(TAIL);
            drain(inflater, out);
            if (out.readableBytes() > maxMessageLength) {
                throw new WebSocketProtocolException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                        "message inflates past the limit of " + maxMessageLength + " bytes");
            }
            if (inflater.finished()) {
                // A final block ends the stream: the next message starts a new one (RFC 7692 §7.2.3.3).
                inflater.reset();
            }
            return out;
        } catch (DataFormatException e) {
            out.release();
            throw new WebSocketProtocolException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
                    "compressed message does not inflate: " + e.getMessage());
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            if (shared) {
                inflater.reset();
            }
        }
    }

    /**
     * Inflates what the inflater holds into {@code out}, which may grow to one byte past the limit:
     * a message that fills that byte is too big.
     */
    private void drain(Inflater inflater, ByteBuf out) throws DataFormatException {
        while (true) {
            if (!out.isWritable()) {
                if (out.capacity() > maxMessageLength) {
                    throw new WebSocketProtocolException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                            "message inflates past the limit of " + maxMessageLength + " bytes");
                }
                out.capacity((int) Math.min(maxMessageLength + 1L, out.capacity() * 2L));
            }
            int room = out.writableBytes();
            int n = inflater.inflate(out.nioBuffer(out.writerIndex(), room));
            out.writerIndex(out.writerIndex() + n);
            if (inflater.needsDictionary()) {
                throw new DataFormatException("a preset dictionary is not allowed");
            }
            if (inflater.finished() || (n < room && inflater.needsInput())) {
                return;
            }
            if (n == 0 && n < room) {
                throw new DataFormatException("the inflater makes no progress");
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof WebSocketFrame) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            if (agreement.serverCompresses() && !frame.isControl() && frame.isFinal() && frame.rsv() == 0
                    && frame.content().readableBytes() >= config.threshold()) {
                ByteBuf compressed;
                try {
                    compressed = deflate(ctx.alloc(), frame.content());
                } finally {
                    frame.release();
                }
                ctx.write(new WebSocketFrame(frame.opcode(), true, RSV1, compressed), promise);
                return;
            }
        }
        ctx.write(msg, promise);
    }

    private ByteBuf deflate(ByteBufAllocator alloc, ByteBuf payload) {
        return agreement.serverNoContextTakeover() ? deflate(config, alloc, payload)
                : deflateWith(ownDeflater(), false, alloc, payload);
    }

    /**
     * Compresses a message's payload as a deflate stream of its own, with the calling thread's
     * shared deflater: what every member without server context takeover receives, so a broadcast
     * compresses once for all of them. {@code payload} is left as it was.
     */
    public static ByteBuf deflate(PerMessageDeflateConfig config, ByteBufAllocator alloc, ByteBuf payload) {
        return deflate(config, alloc, payload, 0);
    }

    /**
     * As {@link #deflate(PerMessageDeflateConfig, ByteBufAllocator, ByteBuf)}, leaving
     * {@code headroom} writable bytes before the compressed bytes (its reader index), so that a
     * frame header can be put in front of them without a copy.
     */
    public static ByteBuf deflate(PerMessageDeflateConfig config, ByteBufAllocator alloc, ByteBuf payload, int headroom) {
        return deflateWith(config.sharedDeflater(), true, alloc, payload, headroom);
    }

    private static ByteBuf deflateWith(Deflater deflater, boolean reset, ByteBufAllocator alloc, ByteBuf payload) {
        return deflateWith(deflater, reset, alloc, payload, 0);
    }

    private static ByteBuf deflateWith(Deflater deflater, boolean reset, ByteBufAllocator alloc, ByteBuf payload,
                                       int headroom) {
        ByteBuf out = alloc.directBuffer(headroom + payload.readableBytes() / 2 + 64);
        out.setIndex(headroom, headroom);
        try {
            for (ByteBuffer input : payload.nioBuffers()) {
                deflater.setInput(input);
                while (!deflater.needsInput()) {
                    write(deflater, out, Deflater.NO_FLUSH);
                }
            }
            // SYNC_FLUSH ends the message on a byte boundary with an empty stored block, which is
            // then stripped; zlib says to call again while it fills all the room it is given.
            while (write(deflater, out, Deflater.SYNC_FLUSH)) {
                // more to flush
            }
            if (endsWithTail(out)) {
                out.writerIndex(out.writerIndex() - TAIL.length);
            }
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        } finally {
            if (reset) {
                deflater.reset();
            }
        }
    }

    /** Deflates into {@code out}; true when the output filled all the room it had. */
    private static boolean write(Deflater deflater, ByteBuf out, int flush) {
        out.ensureWritable(Math.max(64, out.capacity() / 2));
        int room = out.writableBytes();
        int n = deflater.deflate(out.nioBuffer(out.writerIndex(), room), flush);
        out.writerIndex(out.writerIndex() + n);
        return n == room;
    }

    private static boolean endsWithTail(ByteBuf out) {
        int end = out.writerIndex();
        return end - out.readerIndex() >= TAIL.length && out.getInt(end - TAIL.length) == 0x0000FFFF;
    }

    private Deflater ownDeflater() {
        if (ownDeflater == null) {
            ownDeflater = new Deflater(config.level(), true);
        }
        return ownDeflater;
    }

    private Inflater ownInflater() {
        if (ownInflater == null) {
            ownInflater = new Inflater(true);
        }
        return ownInflater;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // zlib's memory is native: give it back now rather than when the collector finds these.
        if (ownDeflater != null) {
            ownDeflater.end();
            ownDeflater = null;
        }
        if (ownInflater != null) {
            ownInflater.end();
            ownInflater = null;
        }
    }
}
